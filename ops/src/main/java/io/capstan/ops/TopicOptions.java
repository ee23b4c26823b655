package io.capstan.ops;

import picocli.CommandLine.Option;

/** The flags that say how Capstan's topics are named and created. */
final class TopicOptions {
  @Option(names = "--partitions", paramLabel = "N", defaultValue = "" + Defaults.PARTITIONS,
      description = "Partitions of every object-keyed topic, when they are created (default: ${DEFAULT-VALUE})."
          + " Existing topics keep theirs.")
  int partitions;

  @Option(names = "--replication-factor", paramLabel = "N",
      description = "Replicas of each topic, when created (default: " + Defaults.REPLICATION_FACTOR_EMBEDDED
          + " with the embedded broker, the cluster's default.replication.factor with --kafka).")
  Integer replicationFactor;

  @Option(names = "--topic-prefix", paramLabel = "PREFIX", defaultValue = Defaults.TOPIC_PREFIX,
      description = "Prefix of every topic name, so several clusters can share one Kafka (default: ${DEFAULT-VALUE}).")
  String prefix;

  TopicSettings resolve(boolean embeddedBroker) {
    short replication = replicationFactor != null
        ? checkedShort(replicationFactor)
        : embeddedBroker ? Defaults.REPLICATION_FACTOR_EMBEDDED : Defaults.REPLICATION_FACTOR_CLUSTER_DEFAULT;
    if (embeddedBroker && replication > 1) {
      throw new IllegalArgumentException("--replication-factor " + replication
          + ": the embedded broker is a single node and holds one replica; use --kafka for a cluster");
    }
    return new TopicSettings(prefix, partitions, replication);
  }

  private static short checkedShort(int n) {
    if (n < 1 || n > Short.MAX_VALUE) {
      throw new IllegalArgumentException("--replication-factor must be at least 1, got " + n);
    }
    return (short) n;
  }
}
