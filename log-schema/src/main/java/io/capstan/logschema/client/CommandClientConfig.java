package io.capstan.logschema.client;

import io.capstan.logschema.topics.ObjectPartitioner;
import io.capstan.logschema.topics.TopicLayout;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.CommonClientConfigs;

/**
 * Settings of one {@link CommandClient}.
 *
 * @param kafka    Kafka client settings: {@code bootstrap.servers} plus any TLS/SASL settings, and
 *                 optionally producer/consumer settings that override the client's defaults
 *                 (e.g. {@code linger.ms}, {@code fetch.max.wait.ms})
 * @param layout   the topic names
 * @param clientId the id replies are keyed and partitioned by; unique per client instance
 * @param actor    who the commands act as (a component's service identity or a user name)
 * @param timeout  how long one attempt waits for its reply before the same command is sent again
 * @param attempts how many times a command is sent at most (1 = no retry)
 */
public record CommandClientConfig(
    Map<String, Object> kafka, TopicLayout layout, String clientId, String actor, Duration timeout, int attempts) {

  /** Per attempt: well above the processor's reply p99 under load (~150 ms), well below a user's patience. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
  /** A lost reply or a broker restart costs one retry; three attempts ride out a processor rebalance. */
  public static final int DEFAULT_ATTEMPTS = 3;
  /** Identity of Capstan's own components, in Kubernetes' style ({@code system:kube-scheduler}). */
  public static final String ACTOR_PREFIX = "system:capstan:";

  public CommandClientConfig {
    if (kafka == null || kafka.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG) == null) {
      throw new IllegalArgumentException("command client config: kafka settings need bootstrap.servers, got " + kafka);
    }
    if (layout == null) {
      throw new IllegalArgumentException("command client config: layout is required");
    }
    if (clientId == null || clientId.isBlank()) {
      throw new IllegalArgumentException("command client config: clientId must not be empty");
    }
    if (ObjectPartitioner.isWatermarkKey(clientId)) {
      throw new IllegalArgumentException("command client config: clientId \"" + clientId + "\" must not start with "
          + ObjectPartitioner.WATERMARK_KEY_PREFIX);
    }
    if (actor == null) {
      throw new IllegalArgumentException("command client config: actor must not be null (use \"\" for none)");
    }
    if (timeout == null || timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("command client config: timeout must be positive, got " + timeout);
    }
    if (attempts < 1) {
      throw new IllegalArgumentException("command client config: attempts must be at least 1, got " + attempts);
    }
    kafka = Map.copyOf(kafka);
  }

  /**
   * A component's client: a unique client id ({@code component-xxxxxxxx}), the component's
   * service identity as actor and the default timeout and attempts.
   */
  public static CommandClientConfig defaults(Map<String, Object> kafka, TopicLayout layout, String component) {
    if (component == null || component.isBlank()) {
      throw new IllegalArgumentException("command client config: component name must not be empty");
    }
    String id = component + "-" + UUID.randomUUID().toString().substring(0, 8);
    return new CommandClientConfig(kafka, layout, id, ACTOR_PREFIX + component, DEFAULT_TIMEOUT, DEFAULT_ATTEMPTS);
  }

  /**
   * A component's client that acts as the component's own Kubernetes identity
   * ({@code system:kube-scheduler}, {@code system:kube-controller-manager},
   * {@code system:node:<name>}), which the command processor authorizes its commands as: otherwise
   * as {@link #defaults}.
   */
  public static CommandClientConfig identified(Map<String, Object> kafka, TopicLayout layout, String component,
      String identity) {
    if (!isComponentIdentity(identity)) {
      throw new IllegalArgumentException("command client config: \"" + identity + "\" is not a component identity"
          + " (system:kube-<component> or " + NODE_IDENTITY_PREFIX + "<name>)");
    }
    return defaults(kafka, layout, component).withActor(identity);
  }

  /** Node agents act as {@code system:node:<nodeName>}, as kubelets do. */
  public static final String NODE_IDENTITY_PREFIX = "system:node:";

  /**
   * The component this client belongs to, for metric tags: the name after {@link #ACTOR_PREFIX}
   * when it acts as a Capstan component, the component its client id was made for when it acts as
   * a component identity ({@link #identified}), else its client id.
   */
  public String component() {
    if (actor.startsWith(ACTOR_PREFIX) && actor.length() > ACTOR_PREFIX.length()) {
      return actor.substring(ACTOR_PREFIX.length());
    }
    return isComponentIdentity(actor) ? clientId.replaceFirst("-[0-9a-f]{8}$", "") : clientId;
  }

  private static boolean isComponentIdentity(String actor) {
    return actor != null && (actor.startsWith("system:kube-") && actor.length() > "system:kube-".length()
        || actor.startsWith(NODE_IDENTITY_PREFIX) && actor.length() > NODE_IDENTITY_PREFIX.length());
  }

  public CommandClientConfig withTimeout(Duration perAttempt, int attempts) {
    return new CommandClientConfig(kafka, layout, clientId, actor, perAttempt, attempts);
  }

  public CommandClientConfig withActor(String actor) {
    return new CommandClientConfig(kafka, layout, clientId, actor, timeout, attempts);
  }

  public CommandClientConfig withClientId(String clientId) {
    return new CommandClientConfig(kafka, layout, clientId, actor, timeout, attempts);
  }
}
