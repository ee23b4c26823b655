package io.capstan.stateviews.replay;

import io.capstan.api.CustomResourceDefinition;
import io.capstan.log.Event;
import io.capstan.log.EventOp;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.codec.MalformedRecordException;
import io.capstan.logschema.crd.CustomResourceDefinitions;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.kinds.ObjectKey;
import io.capstan.logschema.topics.ObjectPartitioner;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.kafka.LogReader;
import io.capstan.stateviews.kafka.SchemaLogs;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebuilds the state from the event log alone. Every event of an object sits on the object's
 * partition in order, so folding each partition in log order gives the same state whatever
 * the partition count or the interleaving of partitions.
 */
public final class Replay {
  private static final Logger log = LoggerFactory.getLogger(Replay.class);

  /**
   * The outcome of a replay: the state, how many events built it, how many were unreadable (an
   * envelope or the object in it), and why the first of those was.
   */
  public record Result(StateDigest state, long events, long skipped, String firstProblem) {
    public String summary() {
      return "state digest: " + state.hex() + " objects=" + state.size() + " events=" + events;
    }
  }

  /**
   * How the live state tables compare with the replayed state. {@code lagging}: keys whose live
   * version is not the log's last but one the log passed through (the tables were read first and
   * the object moved on meanwhile), with a fingerprint of that live version.
   */
  public record Comparison(StateDigest live, List<String> onlyInReplay, List<String> onlyInLive, List<String> differing,
      Map<String, Long> lagging) {
    public boolean matches() {
      return onlyInReplay.isEmpty() && onlyInLive.isEmpty() && differing.isEmpty();
    }

    public String summary(int maxKeys) {
      if (matches()) {
        return "verify: OK, live state tables match the replayed state (objects=" + live.size() + ")";
      }
      StringBuilder b = new StringBuilder("verify: MISMATCH between replayed state and live state tables:");
      appendKeys(b, "only in replay", onlyInReplay, maxKeys);
      appendKeys(b, "only in live state", onlyInLive, maxKeys);
      appendKeys(b, "different content", differing, maxKeys);
      return b.toString();
    }

    private static void appendKeys(StringBuilder b, String what, List<String> keys, int max) {
      if (keys.isEmpty()) {
        return;
      }
      b.append("\n  ").append(what).append(": ").append(keys.size());
      keys.stream().limit(max).forEach(k -> b.append("\n    ").append(k));
      if (keys.size() > max) {
        b.append("\n    …");
      }
    }
  }

  private Replay() {}

  /**
   * Folds {@code capstan.events} into a state.
   *
   * @param untilMicros only events applied at or before this time count; {@link Long#MAX_VALUE} for all
   */
  public static Result fromEvents(Map<String, Object> kafka, TopicLayout layout, long untilMicros) {
    return fromEvents(kafka, layout, untilMicros, null);
  }

  /**
   * As {@link #fromEvents(Map, TopicLayout, long)}, also noting in {@code history} (when not
   * null) a fingerprint of every version each key went through.
   */
  public static Result fromEvents(Map<String, Object> kafka, TopicLayout layout, long untilMicros,
      Map<String, Set<Long>> history) {
    return fromEvents(kafka, layout, untilMicros, history, null);
  }

  /**
   * As {@link #fromEvents(Map, TopicLayout, long, Map)}, also feeding every event it folds to
   * {@code incarnations} (when not null), which checks uids and writes after deletes.
   */
  public static Result fromEvents(Map<String, Object> kafka, TopicLayout layout, long untilMicros,
      Map<String, Set<Long>> history, IncarnationCheck incarnations) {
    return fromEvents(kafka, layout, untilMicros, history, incarnations, LogCodec.get());
  }

  /**
   * As {@link #fromEvents(Map, TopicLayout, long, Map, IncarnationCheck)}, decoding with {@code
   * codec}. Custom objects written under any schema of their definition decode: the codec reads
   * writer schemas it does not know from the schemas topic, and the objects resolve into the
   * current schema of their definition in the live definitions table (or stay as written when
   * the definition is gone), so the digest does not depend on which schema wrote a record.
   */
  public static Result fromEvents(Map<String, Object> kafka, TopicLayout layout, long untilMicros,
      Map<String, Set<Long>> history, IncarnationCheck incarnations, LogCodec codec) {
    return withSchemas(kafka, layout, codec, () -> {
      customKinds(kafka, layout, codec);
      return fold(kafka, layout, untilMicros, history, incarnations, codec);
    });
  }

  private static Result fold(Map<String, Object> kafka, TopicLayout layout, long untilMicros,
      Map<String, Set<Long>> history, IncarnationCheck incarnations, LogCodec codec) {
    StateDigest state = new StateDigest(codec);
    long[] counts = new long[2];
    String[] firstProblem = new String[1];
    LogReader.readAll(kafka, layout.events(), r -> {
      Event e;
      try {
        e = codec.decode(r.value(), Event.class);
      } catch (MalformedRecordException ex) {
        log.warn("skipping malformed event at {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), ex.getMessage());
        counts[1]++;
        if (firstProblem[0] == null) {
          firstProblem[0] = "event at " + r.topic() + "-" + r.partition() + "@" + r.offset() + ": " + ex.getMessage();
        }
        return;
      }
      if (e.getTimeMicros() > untilMicros) {
        return;
      }
      counts[0]++;
      if (incarnations != null) {
        incarnations.accept(e);
      }
      String key = new ObjectKey(e.getKind(), e.getNamespace(), e.getName()).toString();
      if (e.getOp() == EventOp.DELETED) {
        state.remove(key);
      } else if (e.getObject() != null) {
        try {
          state.put(key, bytes(e.getObject()));
        } catch (MalformedRecordException ex) {
          log.warn("skipping the object of the event at {}-{}@{} ({}): {}", r.topic(), r.partition(), r.offset(), key,
              ex.getMessage());
          counts[1]++;
          if (firstProblem[0] == null) {
            firstProblem[0] = "the object of " + key + " in the event at " + r.topic() + "-" + r.partition() + "@"
                + r.offset() + ": " + ex.getMessage();
          }
          return;
        }
        if (history != null) {
          history.computeIfAbsent(key, k -> new HashSet<>()).add(fingerprint(state.objects().get(key)));
        }
      }
    });
    return new Result(state, counts[0], counts[1], firstProblem[0]);
  }

  /** Reads the latest record per key of every state table. */
  public static StateDigest liveState(Map<String, Object> kafka, TopicLayout layout) {
    return liveState(kafka, layout, LogCodec.get());
  }

  /**
   * Reads the latest record per key of every state table: the built-in kinds' and those of the
   * established definitions in the live definitions table, decoding with {@code codec} (see
   * {@link #fromEvents(Map, TopicLayout, long, Map, IncarnationCheck, LogCodec)}).
   */
  public static StateDigest liveState(Map<String, Object> kafka, TopicLayout layout, LogCodec codec) {
    return withSchemas(kafka, layout, codec, () -> {
      StateDigest live = new StateDigest(codec);
      List<Kind> kinds = new ArrayList<>(Kinds.builtIn());
      kinds.addAll(customKinds(kafka, layout, codec));
      Set<String> topics = new HashSet<>();
      for (Kind kind : kinds) {
        if (topics.add(layout.state(kind))) {
          LogReader.readAll(kafka, layout.state(kind), r -> applyStateRecord(live, r));
        }
      }
      return live;
    });
  }

  /** See {@link SchemaLogs#with}. */
  public static <T> T withSchemas(Map<String, Object> kafka, TopicLayout layout, LogCodec codec, Supplier<T> body) {
    return SchemaLogs.with(kafka, layout, codec, body);
  }

  /**
   * The kinds of the established definitions in the live definitions table, each made the current
   * schema of its name in the codec (records of earlier schemas resolve into it).
   */
  public static List<Kind> customKinds(Map<String, Object> kafka, TopicLayout layout, LogCodec codec) {
    List<Kind> kinds = new ArrayList<>();
    for (CustomResourceDefinition crd : definitions(kafka, layout, codec)) {
      try {
        Kind kind = CustomResourceDefinitions.kindOf(crd);
        codec.setCurrent(kind.schema());
        kinds.add(kind);
      } catch (RuntimeException ex) {
        log.warn("the kind of the definition {} cannot be derived: {}", crd.getMetadata().getName(), ex.getMessage());
      }
    }
    return kinds;
  }

  /** The established definitions in the live definitions table. */
  public static List<CustomResourceDefinition> definitions(Map<String, Object> kafka, TopicLayout layout,
      LogCodec codec) {
    Map<String, CustomResourceDefinition> definitions = new TreeMap<>();
    LogReader.readAll(kafka, layout.state(Kinds.CUSTOM_RESOURCE_DEFINITION), r -> {
      if (r.key() == null || ObjectPartitioner.isWatermarkKey(r.key())) {
        return;
      }
      if (r.value() == null) {
        definitions.remove(r.key());
        return;
      }
      try {
        definitions.put(r.key(), codec.decode(r.value(), CustomResourceDefinition.class));
      } catch (MalformedRecordException ex) {
        log.warn("skipping the definition at {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), ex.getMessage());
      }
    });
    return definitions.values().stream().filter(CustomResourceDefinitions::established).toList();
  }

  private static void applyStateRecord(StateDigest live, ConsumerRecord<String, byte[]> r) {
    if (r.key() == null || ObjectPartitioner.isWatermarkKey(r.key())) {
      return;
    }
    if (r.value() == null) {
      live.remove(r.key());
      return;
    }
    try {
      live.put(r.key(), r.value());
    } catch (MalformedRecordException ex) {
      log.warn("skipping malformed state record at {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), ex.getMessage());
    }
  }

  public static Comparison compare(StateDigest replayed, StateDigest live) {
    return compare(replayed, live, Map.of());
  }

  /**
   * Compares; a key whose live version is one of the versions in {@code history} (read from the
   * log after the live tables) is lagging, not different.
   */
  public static Comparison compare(StateDigest replayed, StateDigest live, Map<String, Set<Long>> history) {
    Set<String> keys = new TreeSet<>(replayed.objects().keySet());
    keys.addAll(live.objects().keySet());
    List<String> onlyReplay = new ArrayList<>();
    List<String> onlyLive = new ArrayList<>();
    List<String> differing = new ArrayList<>();
    Map<String, Long> lagging = new TreeMap<>();
    for (String k : keys) {
      byte[] a = replayed.objects().get(k);
      byte[] b = live.objects().get(k);
      if (b == null) {
        onlyReplay.add(k);
        continue;
      }
      if (a != null && Arrays.equals(a, b)) {
        continue;
      }
      long version = fingerprint(b);
      if (history.getOrDefault(k, Set.of()).contains(version)) {
        lagging.put(k, version);
      } else if (a == null) {
        onlyLive.add(k);
      } else {
        differing.add(k);
      }
    }
    return new Comparison(live, onlyReplay, onlyLive, differing, lagging);
  }

  /** 64 bits of the SHA-256 of an object's canonical bytes. */
  static long fingerprint(byte[] canonical) {
    try {
      return ByteBuffer.wrap(MessageDigest.getInstance("SHA-256").digest(canonical)).getLong();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from this JVM", e);
    }
  }

  private static byte[] bytes(ByteBuffer buf) {
    ByteBuffer b = buf.duplicate();
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }
}
