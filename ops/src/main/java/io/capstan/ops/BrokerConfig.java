package io.capstan.ops;

import io.capstan.stateviews.kafka.EmbeddedKafkaBroker;
import java.nio.file.Path;

/** What {@code capstan broker} runs: the embedded broker on {@code port} (0: a free one), data under {@code dataDir}. */
record BrokerConfig(Path dataDir, int port, Quorum quorum) {
  /** Membership of a multi-node cluster: this node's id and controller port, the voters, the shared cluster id. */
  record Quorum(int nodeId, int controllerPort, String voters, String clusterId) {}

  BrokerConfig {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("--port must be 0..65535, got " + port);
    }
    if (quorum != null) {
      if (port == 0 || quorum.controllerPort() <= 0 || quorum.controllerPort() > 65535) {
        throw new IllegalArgumentException("--controller-quorum-voters needs a fixed --port and --controller-port"
            + " (the voters' addresses are in every node's log)");
      }
      if (!quorum.voters().matches("\\d+@[^,@]+:\\d+(,\\d+@[^,@]+:\\d+)*")) {
        throw new IllegalArgumentException("--controller-quorum-voters: expected ID@HOST:PORT[,ID@HOST:PORT...], got '"
            + quorum.voters() + "'");
      }
      if (!("," + quorum.voters()).contains("," + quorum.nodeId() + "@")) {
        throw new IllegalArgumentException("--node-id " + quorum.nodeId() + " is not among --controller-quorum-voters "
            + quorum.voters());
      }
      if (quorum.clusterId() == null || !quorum.clusterId().matches("[A-Za-z0-9_-]{22}")) {
        throw new IllegalArgumentException("--cluster-id: every node of a cluster needs the same id, 22 characters"
            + " of base64url (as kafka-storage random-uuid prints), got '" + quorum.clusterId() + "'");
      }
    }
  }

  BrokerConfig(Path dataDir, int port) {
    this(dataDir, port, null);
  }

  EmbeddedKafkaBroker.Config broker() {
    Path dir = dataDir.resolve(Defaults.KAFKA_SUBDIR);
    return quorum == null ? EmbeddedKafkaBroker.Config.of(dir, port) : EmbeddedKafkaBroker.Config.member(dir, port,
        quorum.controllerPort(), quorum.nodeId(), quorum.voters(), quorum.clusterId());
  }

  Path logDir() {
    return dataDir.resolve(Defaults.LOGS_SUBDIR);
  }
}
