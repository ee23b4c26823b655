package io.capstan.ops;

import io.capstan.logschema.topics.TopicLayout;

/**
 * How Capstan's topics are named and created: the prefix, the one partition count every
 * object-keyed topic shares, and the replication factor (-1: the cluster's default).
 */
record TopicSettings(String prefix, int partitions, short replicationFactor) {
  TopicSettings {
    if (prefix == null || prefix.isEmpty() || !prefix.matches("[A-Za-z0-9._\\-]+")) {
      throw new IllegalArgumentException("--topic-prefix: '" + prefix + "' is not a valid topic name prefix"
          + " (letters, digits, '.', '_', '-')");
    }
    if (partitions < 1) {
      throw new IllegalArgumentException("--partitions must be at least 1, got " + partitions);
    }
    if (replicationFactor < 1 && replicationFactor != Defaults.REPLICATION_FACTOR_CLUSTER_DEFAULT) {
      throw new IllegalArgumentException("--replication-factor must be at least 1, got " + replicationFactor);
    }
  }

  TopicLayout layout() {
    return new TopicLayout(prefix);
  }
}
