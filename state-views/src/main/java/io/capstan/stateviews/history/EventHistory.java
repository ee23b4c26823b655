package io.capstan.stateviews.history;

import io.capstan.log.Event;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.codec.MalformedRecordException;
import io.capstan.logschema.kinds.ObjectKey;
import io.capstan.logschema.topics.ObjectPartitioner;
import io.capstan.logschema.topics.TopicLayout;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The event log ({@code capstan.events}) folded into {@link VersionedObjects}, for historical
 * reads; the versions' objects go to a {@link SpillFile}, so the heap holds about 150 bytes an
 * event, the disk the objects. Nothing runs until the first historical read: {@link #catchUp()} then reads the log from
 * its start, and each later call reads on from where the last stopped to the log's end as it is
 * now, on the caller's thread (this class has no thread of its own; its consumer joins no group,
 * so it has no heartbeat thread either). A read after a catch-up sees every write acknowledged
 * before it.
 *
 * <p>The log may be trimmed by retention ({@code retention.ms} on the events topic, or records
 * deleted by an operator): a point before the first event kept on any trimmed partition is then
 * {@link Gone}, since what happened there before is lost.
 *
 * <p>Not thread-safe: one caller at a time (the gateway runs every historical read on one thread).
 */
public final class EventHistory implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EventHistory.class);
  private static final Duration METADATA_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration PROGRESS_EVERY = Duration.ofSeconds(5);

  /** A point before the log's retained start: its state cannot be known any more (410 Gone). */
  public static final class Gone extends RuntimeException {
    public Gone(String message) {
      super(message);
    }
  }

  private final Map<String, Object> kafka;
  private final String topic;
  private final LogCodec codec;
  private final VersionedObjects objects = new VersionedObjects();
  private final Map<Integer, PartitionTimeline> timelines = new HashMap<>();
  /** Actors are few (users and components): one copy of each name. */
  private final Map<String, String> actors = new HashMap<>();
  private KafkaConsumer<String, byte[]> consumer;
  /** The objects of the versions: on disk, the heap keeps where each is. */
  private SpillFile spill;
  private List<TopicPartition> partitions;
  private long skipped;

  public EventHistory(Map<String, Object> kafka, TopicLayout layout, String clientId) {
    this(kafka, layout.events(), clientId, LogCodec.get());
  }

  EventHistory(Map<String, Object> kafka, String topic, String clientId, LogCodec codec) {
    Map<String, Object> config = new HashMap<>(kafka);
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    this.kafka = Map.copyOf(config);
    this.topic = topic;
    this.codec = codec;
  }

  /** Reads the log on to its end as it is now; the first call reads it all. @return the objects read so far */
  public VersionedObjects catchUp() {
    long started = System.nanoTime();
    boolean first = consumer == null;
    if (first) {
      open();
    }
    Map<TopicPartition, Long> end = consumer.endOffsets(partitions, METADATA_TIMEOUT);
    Map<TopicPartition, Long> start = consumer.beginningOffsets(partitions, METADATA_TIMEOUT);
    for (TopicPartition tp : partitions) {
      timeline(tp.partition()).logStart = start.get(tp);
      if (consumer.position(tp, METADATA_TIMEOUT) < start.get(tp)) {
        consumer.seek(tp, start.get(tp)); // retention passed where this stopped
      }
    }
    long read = 0;
    long lastReport = System.nanoTime();
    while (!caughtUp(end)) {
      for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
        if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) {
          apply(r);
          read++;
        }
      }
      if (first && System.nanoTime() - lastReport > PROGRESS_EVERY.toNanos()) {
        log.info("reading the event log for historical reads: {} events", objects.versions());
        lastReport = System.nanoTime();
      }
    }
    if (first) {
      log.info("historical reads: the event log read in {} ms: {} events of {} objects, {} bytes of objects spilled{}",
          (System.nanoTime() - started) / 1_000_000, objects.versions(), objects.keys(), objects.bytes(),
          skipped > 0 ? ", " + skipped + " unreadable events skipped" : "");
    } else if (read > 0) {
      log.debug("historical reads: {} more events", read);
    }
    return objects;
  }

  /** The objects read so far, without reading on. */
  public VersionedObjects objects() {
    return objects;
  }

  /**
   * Refuses a point before the retained start of the log ({@link Gone}); a log that still holds
   * its first event on every partition covers every point.
   */
  public void checkRetained(AsOf at) {
    long fromMicros = 0;
    long fromVersion = 0;
    for (PartitionTimeline t : timelines.values()) {
      if (t.logStart > 0) {
        long[] first = t.firstKeptAtOrAfter(t.logStart);
        if (first == null) { // nothing of the partition is kept: its history is gone up to now
          first = new long[] {System.currentTimeMillis() * 1000, objects.newestResourceVersion() + 1};
        }
        fromMicros = Math.max(fromMicros, first[0]);
        fromVersion = Math.max(fromVersion, first[1]);
      }
    }
    boolean gone = at instanceof AsOf.Time time ? time.micros() < fromMicros
        : ((AsOf.Version) at).resourceVersion() < fromVersion;
    if (gone) {
      throw new Gone(at.describe() + " is before the retained start of the event log (" + timeOf(fromMicros)
          + ", resourceVersion " + fromVersion + "): the history before it is no longer kept");
    }
  }

  private static String timeOf(long micros) {
    return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000)
        .toString();
  }

  private void open() {
    Properties p = new Properties();
    p.putAll(kafka);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
    p.remove(ConsumerConfig.GROUP_ID_CONFIG);
    KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
    try {
      List<PartitionInfo> infos = c.partitionsFor(topic, METADATA_TIMEOUT);
      if (infos == null || infos.isEmpty()) {
        throw new IllegalStateException("topic " + topic + " does not exist on " + kafka.get("bootstrap.servers"));
      }
      List<TopicPartition> parts = new ArrayList<>();
      infos.forEach(i -> parts.add(new TopicPartition(topic, i.partition())));
      c.assign(parts);
      c.seekToBeginning(parts);
      partitions = parts;
      consumer = c;
    } catch (RuntimeException e) {
      c.close();
      throw e;
    }
  }

  private boolean caughtUp(Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      // position() skips transaction markers and aborted records, so it reaches the end offset
      if (consumer.position(e.getKey(), METADATA_TIMEOUT) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  private void apply(ConsumerRecord<String, byte[]> r) {
    if (r.key() == null || r.value() == null || ObjectPartitioner.isWatermarkKey(r.key())) {
      return;
    }
    Event e;
    try {
      e = codec.decode(r.value(), Event.class);
    } catch (MalformedRecordException ex) {
      if (skipped++ == 0) {
        log.warn("historical reads: skipping the unreadable event at {}-{}@{}: {}", r.topic(), r.partition(),
            r.offset(), ex.getMessage());
      }
      return;
    }
    String key = new ObjectKey(e.getKind(), e.getNamespace(), e.getName()).toString();
    String uid = e.getUid();
    ObjectVersion last = objects.last(key);
    if (last != null) { // one copy of the key and uid for all of an object's versions
      key = last.key();
      uid = uid.equals(last.uid()) ? last.uid() : uid;
    }
    timeline(r.partition()).add(r.offset(), e.getTimeMicros(), e.getResourceVersion());
    objects.add(new ObjectVersion(key, e.getResourceVersion(), e.getTimeMicros(), e.getOp(),
        actors.computeIfAbsent(e.getActor(), a -> a), uid, spill(e.getObject()), r.partition(), r.offset()));
  }

  private PartitionTimeline timeline(int partition) {
    return timelines.computeIfAbsent(partition, p -> new PartitionTimeline());
  }

  private StoredBytes spill(ByteBuffer buf) {
    if (buf == null) {
      return null;
    }
    ByteBuffer b = buf.duplicate();
    byte[] out = new byte[b.remaining()];
    b.get(out);
    if (spill == null) {
      spill = SpillFile.temporary("capstan-history-");
    }
    return spill.append(out);
  }

  @Override
  public void close() {
    if (consumer != null) {
      consumer.close(Duration.ofSeconds(5));
      consumer = null;
    }
    if (spill != null) {
      spill.close();
    }
  }

  /** Per partition: the offset, time and resourceVersion of each event read (24 bytes an event), and the log's start. */
  static final class PartitionTimeline {
    private long[] offsets = new long[64];
    private long[] times = new long[64];
    private long[] versions = new long[64];
    private int size;
    long logStart;

    void add(long offset, long timeMicros, long rv) {
      if (size == offsets.length) {
        offsets = Arrays.copyOf(offsets, size * 2);
        times = Arrays.copyOf(times, size * 2);
        versions = Arrays.copyOf(versions, size * 2);
      }
      offsets[size] = offset;
      times[size] = timeMicros;
      versions[size] = rv;
      size++;
    }

    /**
     * The time and resourceVersion of the first event kept at or after {@code offset}; past the
     * last event read, just after it (the partition's whole history is gone); null when none was read.
     */
    long[] firstKeptAtOrAfter(long offset) {
      int i = Arrays.binarySearch(offsets, 0, size, offset);
      if (i < 0) {
        i = -i - 1;
      }
      if (i < size) {
        return new long[] {times[i], versions[i]};
      }
      return size == 0 ? null : new long[] {times[size - 1] + 1, versions[size - 1] + 1};
    }
  }
}
