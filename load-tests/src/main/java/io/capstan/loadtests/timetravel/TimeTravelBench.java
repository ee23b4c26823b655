package io.capstan.loadtests.timetravel;

import io.capstan.api.ConfigMap;
import io.capstan.api.ObjectMeta;
import io.capstan.log.Event;
import io.capstan.log.EventOp;
import io.capstan.loadtests.report.JsonLine;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.topics.ObjectPartitioner;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.history.AsOf;
import io.capstan.stateviews.history.EventHistory;
import io.capstan.stateviews.history.HistoricalObjects;
import io.capstan.stateviews.history.ObjectVersion;
import io.capstan.stateviews.history.VersionedObjects;
import io.capstan.stateviews.kafka.EmbeddedKafkaBroker;
import io.capstan.stateviews.kafka.TopicAdmin;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Historical reads over a large event log, at the store the gateway serves them from: an embedded
 * broker's {@code capstan.events} filled with {@code objects} ConfigMaps over {@code namespaces}
 * namespaces, each written {@code versions} times (a create, then updates), as the command
 * processor writes events; then the first historical read's catch-up (the whole log) timed and its
 * heap measured, and namespace lists at random instants timed (lookup, decode, JSON, as the
 * gateway answers) against the same lists at the newest instant.
 */
public final class TimeTravelBench {
  /** The bench's settings; the defaults give 200,000 events over 20,000 objects. */
  public record Settings(int objects, int versions, int namespaces, int lists, int partitions, long seed) {
    public static final int DEFAULT_OBJECTS = 20_000;
    public static final int DEFAULT_VERSIONS = 10;
    public static final int DEFAULT_NAMESPACES = 100;
    public static final int DEFAULT_LISTS = 200;
    public static final int DEFAULT_PARTITIONS = 4;

    public Settings {
      if (objects <= 0 || versions <= 0 || namespaces <= 0 || lists <= 0 || partitions <= 0) {
        throw new IllegalArgumentException("objects, versions, namespaces, lists and partitions must be positive");
      }
    }
  }

  /** The figures. */
  public record Result(long events, int objects, double buildSeconds, long heapBytes, double itemsPerList,
      double asOfP50Ms, double asOfP99Ms, double newestP50Ms, double newestP99Ms) {
    public String json() {
      return new JsonLine("timetravel").put("events", events).put("objects", objects)
          .put("build_s", buildSeconds).put("heap_mb", heapBytes / 1e6).put("heap_bytes_per_event",
              (double) heapBytes / events).put("items_per_list", itemsPerList)
          .put("asof_list_p50_ms", asOfP50Ms).put("asof_list_p99_ms", asOfP99Ms)
          .put("newest_list_p50_ms", newestP50Ms).put("newest_list_p99_ms", newestP99Ms).toString();
    }
  }

  private TimeTravelBench() {}

  public static Result run(Settings s, PrintStream progress) throws Exception {
    Path dir = Files.createTempDirectory("capstan-bench-timetravel");
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Config.of(dir.resolve("kafka"), 0))) {
      Map<String, Object> kafka = Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap());
      TopicLayout layout = new TopicLayout("capstan.");
      TopicAdmin.ensureTopics(kafka, layout, s.partitions(), (short) 1);
      long start = 1_700_000_000_000_000L;
      long events = fill(kafka, layout, s, start, progress);
      long last = start + events * 100;
      try (EventHistory history = new EventHistory(kafka, layout, "bench-timetravel")) {
        long heapBefore = usedHeap();
        long t0 = System.nanoTime();
        VersionedObjects objects = history.catchUp();
        double build = (System.nanoTime() - t0) / 1e9;
        long heap = usedHeap() - heapBefore;
        progress.printf("bench timetravel: %d events read in %.1f s, %.0f MB of heap%n", objects.versions(), build,
            heap / 1e6);
        Random random = new Random(s.seed());
        double[] asOf = new double[s.lists()];
        double[] newest = new double[s.lists()];
        long items = 0;
        for (int i = -s.lists() / 5; i < s.lists(); i++) { // the first fifth warms up
          String prefix = "ConfigMap/ns-" + random.nextInt(s.namespaces()) + "/";
          long at = start + (long) (random.nextDouble() * (last - start));
          history.catchUp(); // as every historical read does
          double a = list(objects, new AsOf.Time(at), prefix);
          double n = list(objects, new AsOf.Time(Long.MAX_VALUE), prefix);
          if (i >= 0) {
            asOf[i] = a;
            newest[i] = n;
            items += objects.at(new AsOf.Time(at), prefix).objects().size();
          }
        }
        Arrays.sort(asOf);
        Arrays.sort(newest);
        return new Result(objects.versions(), objects.keys(), build, heap, (double) items / s.lists(),
            percentile(asOf, 0.5), percentile(asOf, 0.99), percentile(newest, 0.5), percentile(newest, 0.99));
      }
    } finally {
      deleteTree(dir);
    }
  }

  /** A namespace list at a point as the gateway makes it: the cut, each object decoded and rendered. @return ms */
  private static double list(VersionedObjects objects, AsOf at, String prefix) throws Exception {
    long t0 = System.nanoTime();
    long bytes = 0;
    for (ObjectVersion v : objects.at(at, prefix).objects()) {
      bytes += KubeJson.jsonMapper().writeValueAsBytes(KubeJson.toJson(HistoricalObjects.object(v, LogCodec.get())))
          .length;
    }
    if (bytes < 0) {
      throw new IllegalStateException();
    }
    return (System.nanoTime() - t0) / 1e6;
  }

  private static long fill(Map<String, Object> kafka, TopicLayout layout, Settings s, long start, PrintStream progress)
      throws Exception {
    Properties p = new Properties();
    p.putAll(kafka);
    p.put(ProducerConfig.LINGER_MS_CONFIG, "20");
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, "262144");
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    String pad = "x".repeat(300); // about the size of a small ConfigMap's data
    long seq = 0;
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(),
        new ByteArraySerializer())) {
      for (int v = 0; v < s.versions(); v++) {
        for (int o = 0; o < s.objects(); o++) {
          seq++;
          long rv = start + seq * 100;
          String ns = "ns-" + (o % s.namespaces());
          String name = "cm-" + o;
          ConfigMap cm = ConfigMap.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace(ns).setName(name)
              .setUid("uid-" + o).setResourceVersion(Long.toString(rv)).build())
              .setData(Map.of("version", Integer.toString(v), "pad", pad)).build();
          Event e = Event.newBuilder().setOp(v == 0 ? EventOp.CREATED : EventOp.UPDATED).setKind("ConfigMap")
              .setNamespace(ns).setName(name).setUid("uid-" + o).setActor("bench").setTimeMicros(rv)
              .setResourceVersion(rv).setObject(ByteBuffer.wrap(LogCodec.get().encode(cm))).build();
          String key = "ConfigMap/" + ns + "/" + name;
          producer.send(new ProducerRecord<>(layout.events(), ObjectPartitioner.partition(key, s.partitions()), key,
              LogCodec.get().encode(e)));
        }
        progress.printf("bench timetravel: version %d of %d of %d objects written%n", v + 1, s.versions(), s.objects());
      }
      producer.flush();
    }
    return seq;
  }

  private static long usedHeap() throws InterruptedException {
    Runtime rt = Runtime.getRuntime();
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return rt.totalMemory() - rt.freeMemory();
  }

  private static double percentile(double[] sorted, double q) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
  }

  private static void deleteTree(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (java.io.IOException e) {
      // a temp dir left behind
    }
  }
}
