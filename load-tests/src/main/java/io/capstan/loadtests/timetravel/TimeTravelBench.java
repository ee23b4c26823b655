package io.capstan.loadtests.timetravel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.capstan.api.ConfigMap;
import io.capstan.api.ObjectMeta;
import io.capstan.gateway.server.GatewayConfig;
import io.capstan.log.Event;
import io.capstan.log.EventOp;
import io.capstan.loadtests.api.ApiTarget;
import io.capstan.loadtests.api.InProcessStack;
import io.capstan.loadtests.report.JsonLine;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.topics.ObjectPartitioner;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.informer.StateRecord;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Historical reads against live reads, as a client of the gateway sees them: an in-process stack
 * (broker, command processor, gateway) whose {@code capstan.events} holds {@code objects}
 * ConfigMaps over {@code namespaces} namespaces, each written {@code versions} times (a create,
 * then updates), and whose state table holds each one's last version, both written straight into
 * the topics in the processor's formats before the processor and the gateway start (a million
 * commands through the processor would take the run's whole budget). Then, over HTTPS: the first
 * historical read (the gateway reading the whole log), and namespace lists {@code asOf} a random
 * instant alternating with live lists of the same namespaces from the gateway's watch cache (the
 * most recent, a consistent read, and {@code resourceVersion=0}, the cache as it is), each list's
 * items checked against what the log says the namespace held then (and the first historical read,
 * at the log's newest instant, against the live list, item for item).
 */
public final class TimeTravelBench {
  /** The bench's settings; the defaults give 1,000,000 events over 100,000 objects. */
  public record Settings(int objects, int versions, int namespaces, int lists, int partitions, long seed) {
    public static final int DEFAULT_OBJECTS = 100_000;
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

  /** The floor: an {@code asOf} list's p99 at most this, */
  public static final double FLOOR_P99_MS = 500;
  /** and at most this many times the live list's p99. */
  public static final double FLOOR_VS_LIVE = 20;

  /** The figures. */
  public record Result(long events, int objects, double buildSeconds, double reloadSeconds, long heapBytes,
      double itemsPerList,
      double asOfItemsPerList, double asOfP50Ms, double asOfP99Ms, double liveP50Ms, double liveP99Ms,
      double cachedP50Ms, double cachedP99Ms) {
    public double asOfVsLiveP99() {
      return asOfP99Ms / liveP99Ms;
    }

    public boolean floorMet() {
      return asOfP99Ms <= FLOOR_P99_MS && asOfVsLiveP99() <= FLOOR_VS_LIVE;
    }

    public String json() {
      return new JsonLine("timetravel").put("events", events).put("objects", objects)
          .put("build_s", buildSeconds).put("reload_s", reloadSeconds).put("heap_mb", heapBytes / 1e6).put("heap_bytes_per_event",
              (double) heapBytes / events).put("items_per_list", itemsPerList)
          .put("asof_items_per_list", asOfItemsPerList)
          .put("asof_list_p50_ms", asOfP50Ms).put("asof_list_p99_ms", asOfP99Ms)
          .put("live_list_p50_ms", liveP50Ms).put("live_list_p99_ms", liveP99Ms)
          .put("cached_list_p50_ms", cachedP50Ms).put("cached_list_p99_ms", cachedP99Ms)
          .put("asof_vs_live_p99", asOfVsLiveP99()).put("floor_met", floorMet()).toString();
    }
  }

  /** The first event's time (µs); each later one 100 µs on, so every instant names one point of the log. */
  static final long START_MICROS = 1_700_000_000_000_000L;
  private static final long STEP_MICROS = 100;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Settings s;
  private final PrintStream progress;
  private HttpClient http;
  private Context client;
  private String authorization;

  private TimeTravelBench(Settings s, PrintStream progress) {
    this.s = s;
    this.progress = progress;
  }

  public static Result run(Settings s, PrintStream progress) throws Exception {
    return new TimeTravelBench(s, progress).run();
  }

  private Result run() throws Exception {
    long events = (long) s.objects() * s.versions();
    long last = START_MICROS + events * STEP_MICROS;
    try (InProcessStack stack = InProcessStack.start(s.partitions(), GatewayConfig.defaultEventLoops(), progress,
        this::fill)) {
      ApiTarget target = ApiTarget.fromKubeconfig(stack.kubeconfig());
      authorization = "Bearer " + target.token();
      Vertx clientVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
      try {
        http = clientVertx.createHttpClient(target.clientOptions(), new PoolOptions().setHttp1MaxSize(1));
        client = clientVertx.getOrCreateContext();
        awaitLiveState();
        Random random = new Random(s.seed());
        long heapBefore = usedHeap();
        progress.println("bench timetravel: the first historical read (the gateway reads the whole event log)");
        int firstNs = random.nextInt(s.namespaces());
        Timed first = asOfList(firstNs, last + STEP_MICROS / 2); // after the log's last event
        long heap = usedHeap() - heapBefore;
        progress.printf("bench timetravel: first historical read in %.1f s, %.0f MB of heap%n", first.ms() / 1e3,
            heap / 1e6);
        sameItems(firstNs, first, liveList(firstNs, false));
        Timed reload = reload(stack.store(), firstNs, last + STEP_MICROS / 2);
        sameItems(firstNs, reload, liveList(firstNs, false));
        double[] asOf = new double[s.lists()];
        double[] live = new double[s.lists()];
        double[] cached = new double[s.lists()];
        long asOfItems = 0;
        long liveItems = 0;
        for (int i = -s.lists() / 5; i < s.lists(); i++) { // the first fifth warms up
          int ns = random.nextInt(s.namespaces());
          Timed a = asOfList(ns, randomInstant(random, last));
          Timed l = liveList(ns, false);
          Timed c = liveList(ns, true);
          if (i >= 0) {
            asOf[i] = a.ms();
            live[i] = l.ms();
            cached[i] = c.ms();
            asOfItems += a.items().size();
            liveItems += l.items().size();
          }
        }
        Arrays.sort(asOf);
        Arrays.sort(live);
        Arrays.sort(cached);
        return new Result(events, s.objects(), first.ms() / 1e3, reload.ms() / 1e3, heap, (double) liveItems / s.lists(),
            (double) asOfItems / s.lists(), percentile(asOf, 0.5), percentile(asOf, 0.99), percentile(live, 0.5),
            percentile(live, 0.99), percentile(cached, 0.5), percentile(cached, 0.99));
      } finally {
        clientVertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
    }
  }

  /**
   * The gateway lets its history go (as after 10 minutes without historical reads, or a restart:
   * the index leaves the heap, its saved snapshot stays on disk), then the next historical read,
   * which loads the snapshot and reads the log on from it, is timed.
   */
  private Timed reload(io.capstan.gateway.store.KafkaResourceStore store, int ns, long at) throws Exception {
    store.keepHistoryFor(java.time.Duration.ofMillis(1));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (store.holdsHistory()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the gateway still holds its history 60 s after being told to let it go");
      }
      Thread.sleep(20);
    }
    store.keepHistoryFor(io.capstan.gateway.store.KafkaResourceStore.HISTORY_KEPT);
    progress.println("bench timetravel: the history let go; the next historical read loads its saved snapshot");
    Timed t = asOfList(ns, at);
    progress.printf("bench timetravel: historical read after letting go in %.1f s%n", t.ms() / 1e3);
    return t;
  }

  /** A list's time (ms, request sent to body read) and its item count. */
  private record Timed(double ms, JsonNode items) {}

  /** An instant between two events of the log, so which writes it follows is never in doubt. */
  private static long randomInstant(Random random, long last) {
    return START_MICROS + (long) (random.nextDouble() * ((last - START_MICROS) / STEP_MICROS)) * STEP_MICROS
        + STEP_MICROS / 2;
  }

  /** Waits until the gateway's live lists hold every object (its caches read the state table at start). */
  private void awaitLiveState() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
    int ns = s.namespaces() - 1;
    while (true) {
      JsonNode items = get(path(ns, "")).body().get("items");
      if (items.size() == expectedLive(ns)) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the gateway's live list of ns-" + ns + " holds " + items.size()
            + " ConfigMaps after 4 minutes, not the " + expectedLive(ns) + " of the state table");
      }
      Thread.sleep(200);
    }
  }

  private Timed asOfList(int ns, long at) throws Exception {
    Reply r = get(path(ns, "?asOf=" + Instant.ofEpochSecond(at / 1_000_000, at % 1_000_000 * 1000)));
    long seq = (at - START_MICROS) / STEP_MICROS; // the events at or before the instant
    check(r, ns, "asOf " + at, expectedCreated(ns, seq), o -> (int) ((seq - o - 1) / s.objects()));
    return new Timed(r.ms(), r.body().get("items"));
  }

  /**
   * A live list: the most recent (a consistent read: the cache first applies what the state topic
   * held when the request came), or {@code resourceVersion=0}, whatever the cache holds.
   */
  private Timed liveList(int ns, boolean anyVersion) throws Exception {
    Reply r = get(path(ns, anyVersion ? "?resourceVersion=0" : ""));
    check(r, ns, anyVersion ? "cached" : "live", expectedLive(ns), o -> s.versions() - 1);
    return new Timed(r.ms(), r.body().get("items"));
  }

  /** The list {@code asOf} the log's newest instant is the live list, item for item: the two read the same objects. */
  private static void sameItems(int ns, Timed asOf, Timed live) {
    for (int i = 0; i < asOf.items().size(); i++) {
      if (!asOf.items().get(i).equals(live.items().get(i))) {
        throw new IllegalStateException("ns-" + ns + ", item " + i + ": asOf the newest instant " + asOf.items().get(i)
            + ", live " + live.items().get(i));
      }
    }
  }

  /** Every list must hold what the log says, each item at its version then: a bench of empty or wrong lists fails. */
  private void check(Reply r, int ns, String which, int expected, java.util.function.IntUnaryOperator versionOf) {
    JsonNode items = r.body().get("items");
    if (items == null || items.size() != expected) {
      throw new IllegalStateException(which + " list of ns-" + ns + " holds " + (items == null ? "no" : items.size())
          + " items, not " + expected);
    }
    for (JsonNode item : items) {
      String name = item.path("metadata").path("name").asText();
      int o = Integer.parseInt(name.substring("cm-".length()));
      String version = item.path("data").path("version").asText();
      if (o % s.namespaces() != ns || !version.equals(Integer.toString(versionOf.applyAsInt(o)))) {
        throw new IllegalStateException(which + " list of ns-" + ns + " holds " + name + " at version " + version
            + ", not at " + versionOf.applyAsInt(o));
      }
    }
  }

  /** The ConfigMaps of namespace {@code ns} among the first {@code m} objects. */
  private int inNamespace(int ns, long m) {
    long n = s.namespaces();
    return (int) (m / n + (ns < m % n ? 1 : 0));
  }

  private int expectedLive(int ns) {
    return inNamespace(ns, s.objects());
  }

  /** Created by the {@code seq}-th event: the first round of the log creates object o at event o + 1. */
  private int expectedCreated(int ns, long seq) {
    return inNamespace(ns, Math.min(seq, s.objects()));
  }

  private static String path(int ns, String query) {
    return "/api/v1/namespaces/ns-" + ns + "/configmaps" + query;
  }

  private record Reply(double ms, JsonNode body) {}

  /** A GET over HTTPS, sent on the client's event loop and timed there, from sending to the body's end. */
  private Reply get(String path) throws Exception {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setURI(path).setTimeout(600_000)
        .putHeader("Authorization", authorization).putHeader("Accept", "application/json");
    CompletableFuture<double[]> timed = new CompletableFuture<>();
    CompletableFuture<byte[]> body = new CompletableFuture<>();
    client.runOnContext(v -> {
      long t0 = System.nanoTime();
      http.request(options).compose(req -> req.send())
          .compose(resp -> resp.body().map(b -> {
            if (resp.statusCode() != 200) {
              throw new IllegalStateException("GET " + path + ": " + resp.statusCode() + " "
                  + b.toString(StandardCharsets.UTF_8));
            }
            return b.getBytes();
          }))
          .onComplete((b, err) -> {
            if (err != null) {
              body.completeExceptionally(err);
            } else {
              timed.complete(new double[] {(System.nanoTime() - t0) / 1e6});
              body.complete(b);
            }
          });
    });
    byte[] bytes = body.get(11, TimeUnit.MINUTES);
    return new Reply(timed.get()[0], JSON.readTree(bytes));
  }

  /**
   * The log and the state table as the command processor writes them: each write's event on the
   * object's partition of {@code capstan.events}, and each object's last version on the same
   * partition of its state table, keyed by object key with its resourceVersion in the header.
   */
  private void fill(Map<String, Object> kafka, TopicLayout layout) throws Exception {
    Properties p = new Properties();
    p.putAll(kafka);
    p.put(ProducerConfig.LINGER_MS_CONFIG, "20");
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, "262144");
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    String pad = "x".repeat(300); // about the size of a small ConfigMap's data
    String stateTopic = layout.state(Kinds.CONFIG_MAP);
    long seq = 0;
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(),
        new ByteArraySerializer())) {
      for (int v = 0; v < s.versions(); v++) {
        for (int o = 0; o < s.objects(); o++) {
          seq++;
          long rv = START_MICROS + seq * STEP_MICROS;
          String ns = "ns-" + (o % s.namespaces());
          String name = "cm-" + o;
          ConfigMap cm = ConfigMap.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace(ns).setName(name)
              .setUid("uid-" + o).setResourceVersion(Long.toString(rv)).build())
              .setData(Map.of("version", Integer.toString(v), "pad", pad)).build();
          byte[] object = LogCodec.get().encode(cm);
          Event e = Event.newBuilder().setOp(v == 0 ? EventOp.CREATED : EventOp.UPDATED).setKind("ConfigMap")
              .setNamespace(ns).setName(name).setUid("uid-" + o).setActor("bench").setTimeMicros(rv)
              .setResourceVersion(rv).setObject(ByteBuffer.wrap(object)).build();
          String key = "ConfigMap/" + ns + "/" + name;
          int partition = ObjectPartitioner.partition(key, s.partitions());
          producer.send(new ProducerRecord<>(layout.events(), partition, key, LogCodec.get().encode(e)));
          if (v == s.versions() - 1) {
            ProducerRecord<String, byte[]> state = new ProducerRecord<>(stateTopic, partition, key, object);
            state.headers().add(StateRecord.RV_HEADER, Long.toString(rv).getBytes(StandardCharsets.UTF_8));
            producer.send(state);
          }
        }
        progress.printf("bench timetravel: version %d of %d of %d objects written%n", v + 1, s.versions(), s.objects());
      }
      producer.flush();
    }
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
}
