package io.capstan.ops;

import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.kafka.TopicAdmin;
import java.time.Duration;

/** Every default of the launcher, written down once; the flags' help texts show them. */
final class Defaults {
  private Defaults() {}

  /** Relative to the current directory, so each checkout or project keeps its own cluster. */
  static final String DATA_DIR = ".capstan";
  static final int KAFKA_PORT = 9092;
  static final int METRICS_PORT = 9464;
  /** Loopback only: pass {@code --metrics-host 0.0.0.0} to let a remote Prometheus scrape. */
  static final String METRICS_HOST = "127.0.0.1";
  static final int PARTITIONS = TopicAdmin.DEFAULT_PARTITIONS;
  /** The embedded broker is one node: one replica is all it can hold. */
  static final short REPLICATION_FACTOR_EMBEDDED = 1;
  /** With {@code --kafka}: -1 asks the cluster for its {@code default.replication.factor}. */
  static final short REPLICATION_FACTOR_CLUSTER_DEFAULT = -1;
  static final String TOPIC_PREFIX = TopicLayout.DEFAULT_PREFIX;
  /** How long one component may take to become ready before startup is abandoned. */
  static final Duration READY_TIMEOUT = Duration.ofMinutes(2);
  /**
   * Environment variable overriding {@link #READY_TIMEOUT}, in seconds: a cluster of a dozen
   * processes starting at once on a small machine (the robustness run) needs longer.
   */
  static final String READY_TIMEOUT_ENV = "CAPSTAN_READY_TIMEOUT_SECONDS";

  /** {@link #READY_TIMEOUT}, or the seconds {@link #READY_TIMEOUT_ENV} gives. */
  static Duration readyTimeout() {
    String v = System.getenv(READY_TIMEOUT_ENV);
    if (v == null || v.isBlank()) {
      return READY_TIMEOUT;
    }
    try {
      long s = Long.parseLong(v.trim());
      if (s > 0) {
        return Duration.ofSeconds(s);
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(READY_TIMEOUT_ENV + " must be a positive number of seconds, got '" + v + "'");
  }

  // Where things live inside a data dir.
  static final String KAFKA_SUBDIR = "kafka";
  static final String STATE_VIEWS_SUBDIR = "state-views";
  static final String LOGS_SUBDIR = "logs";
  /** The local node agent's data (its images, containers, pod logs) under the data dir. */
  static final String NODE_AGENT_SUBDIR = "node-agent";
  /** A hollow fleet's pod directories (node-agent --count, up --hollow-nodes). */
  static final String HOLLOW_FLEET_SUBDIR = "hollow-nodes";
}
