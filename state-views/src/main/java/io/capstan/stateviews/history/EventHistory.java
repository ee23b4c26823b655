package io.capstan.stateviews.history;

import io.capstan.log.Event;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.codec.MalformedRecordException;
import io.capstan.logschema.kinds.ObjectKey;
import io.capstan.logschema.topics.ObjectPartitioner;
import io.capstan.logschema.topics.TopicLayout;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
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
 * <p>Given a directory, the index is saved there ({@link SavedHistory}): after the first read of
 * the log, then whenever a catch-up finds {@value #SAVE_EVERY_VERSIONS} versions unsaved or the last
 * save is {@link #SAVE_EVERY} old, and on close. Each save is a snapshot of the index at the offsets
 * read; the next process (or this one, after letting the history go) loads the last snapshot and
 * reads the log on from its offsets, a short replay, instead of the whole log.
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
  /** Unsaved versions that make a catch-up save the index. */
  static final int SAVE_EVERY_VERSIONS = 50_000;
  /** How old the last save may be before a catch-up that read something saves again. */
  static final Duration SAVE_EVERY = Duration.ofSeconds(30);

  /** A point before the log's retained start: its state cannot be known any more (410 Gone). */
  public static final class Gone extends RuntimeException {
    public Gone(String message) {
      super(message);
    }
  }

  private final Map<String, Object> kafka;
  private final String topic;
  private final LogCodec codec;
  private final Set<String> markedKinds;
  private VersionedObjects objects;
  /** The point before which the history was let go when the log was trimmed (resourceVersion, µs); zeros: never. */
  private long goneBeforeVersion;
  private long goneBeforeMicros;
  /** Where the index is saved; null: in memory only. */
  private final Path dir;
  private SavedHistory saved;
  /** The versions read since the last save, in the order read. */
  private List<ObjectVersion> unsaved = new ArrayList<>();
  private long savedAt;
  private boolean saveFailed;
  private final Map<Integer, PartitionTimeline> timelines = new HashMap<>();
  private KafkaConsumer<String, byte[]> consumer;
  /** The objects of the versions: on disk, the heap keeps where each is. */
  private SpillFile spill;
  private List<TopicPartition> partitions;
  private long skipped;
  private long eventsRead;
  /** Versions loaded from the saved index. */
  private long loaded;

  /** A history held in memory (and a temporary spill file), without marks on its timeline. */
  public EventHistory(Map<String, Object> kafka, TopicLayout layout, String clientId) {
    this(kafka, layout, clientId, null, Set.of());
  }

  /**
   * @param dir         where the index is saved and loaded from, or null to hold it in memory only
   * @param markedKinds the kinds whose versions the timeline lists ({@link VersionedObjects#timeline})
   */
  public EventHistory(Map<String, Object> kafka, TopicLayout layout, String clientId, Path dir,
      Set<String> markedKinds) {
    this(kafka, layout.events(), clientId, LogCodec.get(), dir, markedKinds);
  }

  EventHistory(Map<String, Object> kafka, String topic, String clientId, LogCodec codec, Path dir,
      Set<String> markedKinds) {
    Map<String, Object> config = new HashMap<>(kafka);
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    this.kafka = Map.copyOf(config);
    this.topic = topic;
    this.codec = codec;
    this.dir = dir;
    this.markedKinds = Set.copyOf(markedKinds);
    this.objects = new VersionedObjects(markedKinds);
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
    boolean trimmed = false;
    for (TopicPartition tp : partitions) {
      PartitionTimeline t = timeline(tp.partition());
      trimmed |= start.get(tp) > t.logStart; // its first offset moved since the last catch-up: trimmed
      t.logStart = start.get(tp);
      if (consumer.position(tp, METADATA_TIMEOUT) < start.get(tp)) {
        consumer.seek(tp, start.get(tp)); // retention passed where this stopped
        timeline(tp.partition()).floor = null;
      }
    }
    long read = 0;
    long lastReport = System.nanoTime();
    while (!caughtUp(end)) {
      for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
        apply(r); // past the end taken above too: the position moved past it, so it is read now or never
        read++;
        eventsRead++;
      }
      if (first && System.nanoTime() - lastReport > PROGRESS_EVERY.toNanos()) {
        log.info("reading the event log for historical reads: {} events", objects.versions());
        lastReport = System.nanoTime();
      }
    }
    if (first) {
      log.info("historical reads: the event log read in {} ms{}: {} events of {} objects, {} bytes of objects spilled{}",
          (System.nanoTime() - started) / 1_000_000, loaded > 0
              ? " after the " + loaded + " versions of its saved snapshot (" + read + " events)" : "", objects.versions(), objects.keys(),
          objects.bytes(), skipped > 0 ? ", " + skipped + " unreadable events skipped" : "");
    } else if (read > 0) {
      log.debug("historical reads: {} more events", read);
    }
    if (trimmed) {
      dropWhatTheLogLost();
    }
    if (saved != null && !saveFailed && !unsaved.isEmpty() && (first || unsaved.size() >= SAVE_EVERY_VERSIONS
        || System.nanoTime() - savedAt >= SAVE_EVERY.toNanos())) {
      save();
    }
    return objects;
  }

  /**
   * After the log was trimmed, when a quarter or more of the versions held can no longer be read
   * (each key's versions older than the one in effect at the retained start; and that one too when
   * it is a delete), holds and saves only the rest: the saved history is rewritten, its objects
   * copied, so neither the heap nor the disk keeps what the log let go. Before then, the versions
   * stay (unreadable, as every point before the retained start is {@link Gone}).
   */
  private void dropWhatTheLogLost() {
    long[] from = retainedStart();
    long droppable = objects.unreadableBefore(from[1], from[0]);
    if (droppable == 0 || droppable * 4 < objects.versions()) {
      return;
    }
    long started = System.nanoTime();
    List<ObjectVersion> kept = objects.readableFrom(from[1], from[0]);
    kept.sort(java.util.Comparator.comparingInt(ObjectVersion::partition).thenComparingLong(ObjectVersion::offset));
    for (PartitionTimeline t : timelines.values()) {
      if (t.logStart > 0) {
        t.floor = readableFrom(t); // before its events go: where its readable history begins
      }
    }
    goneBeforeVersion = Math.max(goneBeforeVersion, from[1]);
    goneBeforeMicros = Math.max(goneBeforeMicros, from[0]);
    if (saved != null && !saveFailed) {
      try {
        kept = saved.rewrite(kept, snapshot());
        unsaved.clear();
        savedAt = System.nanoTime();
        spill = saved.spill();
      } catch (RuntimeException e) {
        saveFailed = true;
        log.warn("historical reads: cannot rewrite the history in {}, kept in memory only from now: {}", dir,
            e.toString());
      }
    }
    long before = objects.versions();
    objects = new VersionedObjects(markedKinds);
    timelines.values().forEach(PartitionTimeline::clear);
    for (ObjectVersion v : kept) {
      add(v);
    }
    unsaved.clear(); // saved by the rewrite, or no longer saved
    log.info("historical reads: the event log was trimmed to {}: {} versions from before it let go, {} of {} objects "
        + "kept in {} ms", timeOf(from[0]), before - objects.versions(), objects.versions(), objects.keys(),
        (System.nanoTime() - started) / 1_000_000);
  }

  /** Where the history stands now, as a save records it. */
  private SavedHistory.Snapshot snapshot() {
    Map<Integer, Long> positions = new HashMap<>();
    Map<Integer, long[]> floors = new HashMap<>();
    for (TopicPartition tp : partitions) {
      positions.put(tp.partition(), consumer.position(tp, METADATA_TIMEOUT));
      long[] floor = timeline(tp.partition()).floor;
      if (floor != null) {
        floors.put(tp.partition(), floor);
      }
    }
    return new SavedHistory.Snapshot(positions, floors, goneBeforeVersion, goneBeforeMicros);
  }

  /** Saves the versions read since the last save and a snapshot of the offsets read to. */
  private void save() {
    long started = System.nanoTime();
    try {
      saved.save(unsaved, snapshot());
      log.debug("historical reads: {} versions saved in {} ms", unsaved.size(), (System.nanoTime() - started) / 1_000_000);
      unsaved = new ArrayList<>(); // not the first read's capacity for good
      savedAt = System.nanoTime();
    } catch (RuntimeException e) {
      saveFailed = true; // the history stays whole in memory; the saved one ends at its last snapshot
      log.warn("historical reads: cannot save the history in {}, kept in memory only from now: {}", dir, e.toString());
    }
  }

  /** Records read from the event log by this history, not loaded from a saved index. */
  public long eventsRead() {
    return eventsRead;
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
    long[] from = retainedStart();
    long fromMicros = from[0];
    long fromVersion = from[1];
    boolean gone = at instanceof AsOf.Time time ? time.micros() < fromMicros
        : ((AsOf.Version) at).resourceVersion() < fromVersion;
    if (gone) {
      throw new Gone(at.describe() + " is before the retained start of the event log (" + timeOf(fromMicros)
          + ", resourceVersion " + fromVersion + "): the history before it is no longer kept");
    }
  }

  /** The earliest point readable: {time µs, resourceVersion}; zeros when the whole log is kept. */
  private long[] retainedStart() {
    long fromMicros = goneBeforeMicros;
    long fromVersion = goneBeforeVersion;
    for (PartitionTimeline t : timelines.values()) {
      if (t.logStart > 0) {
        long[] first = readableFrom(t);
        fromMicros = Math.max(fromMicros, first[0]);
        fromVersion = Math.max(fromVersion, first[1]);
      }
    }
    return new long[] {fromMicros, fromVersion};
  }

  /** The earliest point of a trimmed partition whose state is known. */
  private long[] readableFrom(PartitionTimeline t) {
    long[] first = t.firstKeptAtOrAfter(t.logStart);
    // nothing of the partition is kept: its history is gone up to now
    return first != null ? first : new long[] {System.currentTimeMillis() * 1000, objects.newestResourceVersion() + 1};
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
      if (dir != null) {
        load(c, parts);
      }
    } catch (RuntimeException e) {
      c.close();
      consumer = null;
      if (saved != null) {
        saved.close();
        saved = null;
      }
      throw e;
    }
  }

  /** Loads the saved index, if any, and seeks to where it was saved; a directory in use leaves the history in memory. */
  private void load(KafkaConsumer<String, byte[]> c, List<TopicPartition> parts) {
    long started = System.nanoTime();
    saved = SavedHistory.open(dir, topic, topicId(), parts.size());
    if (saved == null) {
      log.info("historical reads: {} is in use by another process; this one keeps its history in memory", dir);
      return;
    }
    SavedHistory.Loaded loaded = saved.load();
    Map<TopicPartition, Long> end = c.endOffsets(parts, METADATA_TIMEOUT);
    for (TopicPartition tp : parts) {
      Long at = loaded.snapshot().positions().get(tp.partition());
      if (at != null && at > end.get(tp)) { // the log lost what the index holds: not this log's history any more
        log.warn("historical reads: the saved history in {} was read to offset {} of {}, which ends at {}: read again",
            dir, at, tp, end.get(tp));
        loaded = saved.startAfresh();
        break;
      }
    }
    spill = saved.spill();
    goneBeforeVersion = loaded.snapshot().goneBeforeVersion();
    goneBeforeMicros = loaded.snapshot().goneBeforeMicros();
    loaded.snapshot().floors().forEach((p, floor) -> timeline(p).floor = floor);
    for (ObjectVersion v : loaded.versions()) {
      add(v);
    }
    this.loaded = loaded.versions().size();
    for (TopicPartition tp : parts) {
      Long at = loaded.snapshot().positions().get(tp.partition());
      if (at != null) {
        c.seek(tp, at);
      }
    }
    savedAt = System.nanoTime();
    if (!loaded.versions().isEmpty()) {
      log.info("historical reads: {} saved versions of {} objects loaded from {} in {} ms", loaded.versions().size(),
          objects.keys(), dir, (System.nanoTime() - started) / 1_000_000);
    }
  }

  /** The event log's topic id: a saved index of a topic of the same name made again is not this log's. */
  private String topicId() {
    Map<String, Object> config = new HashMap<>(kafka);
    config.keySet().retainAll(org.apache.kafka.clients.admin.AdminClientConfig.configNames());
    try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(config)) {
      return admin.describeTopics(List.of(topic)).allTopicNames().get(METADATA_TIMEOUT.toMillis(),
          java.util.concurrent.TimeUnit.MILLISECONDS).get(topic).topicId().toString();
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("cannot describe the topic " + topic + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while describing the topic " + topic, e);
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
    ObjectVersion v = add(new ObjectVersion(new ObjectKey(e.getKind(), e.getNamespace(), e.getName()).toString(),
        e.getResourceVersion(), e.getTimeMicros(), e.getOp(), e.getActor(), e.getUid(), spill(e.getObject()),
        r.partition(), r.offset()));
    if (saved != null) {
      unsaved.add(v);
    }
    timeline(r.partition()).floor = null; // it reads on from this event now
  }

  /** Adds a version read or loaded, and its place in its partition's timeline. @return the version as held */
  private ObjectVersion add(ObjectVersion v) {
    timeline(v.partition()).add(v.offset(), v.timeMicros(), v.resourceVersion());
    return objects.add(v);
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
      if (saved != null && !saveFailed && !unsaved.isEmpty()) {
        save();
      }
      consumer.close(Duration.ofSeconds(5));
      consumer = null;
    }
    if (saved != null) {
      saved.close(); // and its spill file, kept
      saved = null;
    } else if (spill != null) {
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
    /**
     * Where the partition's readable history began when the versions the log let go were dropped
     * ({time µs, resourceVersion}), for when it holds no event after its log's start; null when
     * an event was read or records were skipped since (it then reads on from there).
     */
    long[] floor;

    void clear() {
      size = 0;
    }

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
     * last event read, the {@link #floor} a trim left, else just after that last event (the
     * partition's whole history is gone); null when none was read.
     */
    long[] firstKeptAtOrAfter(long offset) {
      int i = Arrays.binarySearch(offsets, 0, size, offset);
      if (i < 0) {
        i = -i - 1;
      }
      if (i < size) {
        return new long[] {times[i], versions[i]};
      }
      if (floor != null) {
        return floor;
      }
      return size == 0 ? null : new long[] {times[size - 1] + 1, versions[size - 1] + 1};
    }
  }
}
