package io.capstan.ops;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.kafka.clients.CommonClientConfigs;

/**
 * How every Kafka client of a component reaches the cluster: the bootstrap servers plus the
 * settings the user passed through ({@code security.protocol}, {@code ssl.*}, {@code sasl.*},
 * …). Nothing here assumes PLAINTEXT.
 */
record KafkaConnection(String bootstrap, Map<String, String> settings) {
  private static final Pattern HOST_PORT = Pattern.compile("\\[?[A-Za-z0-9._:\\-]+]?:(\\d{1,5})");

  KafkaConnection {
    if (bootstrap == null || bootstrap.isBlank()) {
      throw new IllegalArgumentException("--kafka: no bootstrap servers given (expected host:port[,host:port...])");
    }
    for (String server : bootstrap.split(",")) {
      var m = HOST_PORT.matcher(server.trim());
      if (!m.matches() || Integer.parseInt(m.group(1)) < 1 || Integer.parseInt(m.group(1)) > 65535) {
        throw new IllegalArgumentException("--kafka: '" + server.trim() + "' is not host:port (in '" + bootstrap + "')");
      }
    }
    String given = settings.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
    if (given != null && !given.equals(bootstrap)) {
      throw new IllegalArgumentException("bootstrap.servers=" + given + " in --kafka-config disagrees with the Kafka in use ("
          + bootstrap + "); set the servers with --kafka only");
    }
    settings = Map.copyOf(settings);
  }

  /** The client config every producer, consumer, admin and Streams instance starts from. */
  Map<String, Object> clientConfig() {
    Map<String, Object> config = new LinkedHashMap<>(settings);
    config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    return Map.copyOf(config);
  }
}
