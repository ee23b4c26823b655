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

  /** The compacted table of one kind, e.g. {@code capstan.state.pod}. */
  public String state(Kind kind) {
    return prefix + "state." + kind.kind().toLowerCase(Locale.ROOT);
  }

  /** Topic configs by role. */
  public Map<String, String> configFor(String topic) {
    if (topic.equals(commands()) || topic.equals(replies())) {
      return Map.of("cleanup.policy", "delete", "retention.ms", Long.toString(TRANSIENT_RETENTION_MS));
    }
    if (topic.equals(events())) {
      return Map.of("cleanup.policy", "delete", "retention.ms", "-1", "retention.bytes", "-1");
    }
    if (topic.startsWith(prefix + "state.")) {
      return Map.of("cleanup.policy", "compact", "min.compaction.lag.ms", "60000");
    }
    throw new IllegalArgumentException("not a Capstan topic: " + topic);
  }
}
