package io.capstan.logschema.topics;

import io.capstan.logschema.kinds.Kind;
import java.util.Locale;
import java.util.Map;

/**
 * Topic names and their configuration, as in the architecture's topic table. A prefix
 * (default {@code capstan.}) lets several clusters share one Kafka.
 */
public record TopicLayout(String prefix) {

  public static final String DEFAULT_PREFIX = "capstan.";
  /** Commands and replies are transient: one hour is plenty for a retry to find its reply. */
  public static final long TRANSIENT_RETENTION_MS = 60L * 60 * 1000;

  public static TopicLayout defaults() {
    return new TopicLayout(DEFAULT_PREFIX);
  }

  public String commands() {
    return prefix + "commands";
  }

  public String replies() {
    return prefix + "replies";
  }

  public String events() {
    return prefix + "events";
  }

  /**
   * The pods-by-node view, compacted: each pod bound to a node under {@code <node>/<pod key>},
   * partitioned by node name, written by the command processor in the pod write's transaction
   * (the node agents read their node's partition).
   */
  public String podsByNode() {
    return prefix + "view.pods-by-node";
  }

  /**
   * The writer schemas of custom kinds, compacted, keyed by 64-bit fingerprint (16 hex digits),
   * the value the schema's JSON and its kind ({@code io.capstan.logschema.codec.RecordedSchema}).
   * The command processor writes a schema here in the transaction of the first record it writes
   * with it; every reader resolves fingerprints it does not know through it. One partition: it is
   * small, and every reader reads all of it.
   */
  public String schemas() {
    return prefix + "schemas";
  }

  /** Kafka's longest topic name. */
  static final int MAX_TOPIC_LENGTH = 249;

  /**
   * The compacted table of one kind: {@code capstan.state.pod} for a built-in kind, {@code
   * capstan.state.widgets.example.com} (its CRD's name) for a custom kind. A custom kind's name
   * too long for Kafka is cut and made unique with a hash of the whole.
   */
  public String state(Kind kind) {
    if (!kind.custom()) {
      return prefix + "state." + kind.kind().toLowerCase(Locale.ROOT);
    }
    String name = prefix + "state." + kind.plural() + "." + kind.group();
    if (name.length() <= MAX_TOPIC_LENGTH) {
      return name;
    }
    String hash = Integer.toHexString(name.hashCode() & 0x7fffffff);
    return name.substring(0, MAX_TOPIC_LENGTH - hash.length() - 1) + "-" + hash;
  }

  /**
   * Access records of the gateways (refused requests, reads of Secrets), for audit. Kept for
   * {@link #ACCESS_RETENTION_MS} and at most {@link #ACCESS_RETENTION_BYTES} a partition: refusals
   * can come in floods, and unlike the event log nothing is rebuilt from them.
   */
  public String access() {
    return prefix + "access";
  }

  public static final long ACCESS_RETENTION_MS = 30L * 24 * 60 * 60 * 1000;
  public static final long ACCESS_RETENTION_BYTES = 1L << 30;

  /** Topic configs by role. */
  public Map<String, String> configFor(String topic) {
    if (topic.equals(commands()) || topic.equals(replies())) {
      return Map.of("cleanup.policy", "delete", "retention.ms", Long.toString(TRANSIENT_RETENTION_MS));
    }
    if (topic.equals(events())) {
      return Map.of("cleanup.policy", "delete", "retention.ms", "-1", "retention.bytes", "-1");
    }
    if (topic.equals(access())) {
      return Map.of("cleanup.policy", "delete", "retention.ms", Long.toString(ACCESS_RETENTION_MS),
          "retention.bytes", Long.toString(ACCESS_RETENTION_BYTES));
    }
    if (topic.equals(schemas())) {
      return Map.of("cleanup.policy", "compact");
    }
    if (topic.startsWith(prefix + "state.") || topic.equals(podsByNode())) {
      return Map.of("cleanup.policy", "compact", "min.compaction.lag.ms", "60000");
    }
    throw new IllegalArgumentException("not a Capstan topic: " + topic);
  }
}
