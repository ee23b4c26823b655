package io.capstan.controllers.manager;

import io.capstan.controllers.hpa.AutoscalerConfig;
import io.capstan.controllers.nodelifecycle.NodeLifecycleConfig;
import io.capstan.controllers.podgc.PodGcConfig;
import io.capstan.logschema.topics.TopicLayout;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;

/**
 * Settings of a controller-manager.
 *
 * @param kafka        Kafka client settings ({@code bootstrap.servers} and any TLS/SASL settings)
 * @param layout       the topic names
 * @param workers      reconcile workers per controller (kube-controller-manager's --concurrent-*-syncs)
 * @param writeTimeout how long a controller waits for the answer to one of its writes
 * @param nodeLifecycle the node lifecycle controller's grace periods
 * @param rootCaFile   the cluster CA bundle (PEM) the root CA publisher puts in every namespace as the
 *                     ConfigMap {@code kube-root-ca.crt} (kube-controller-manager's --root-ca-file);
 *                     null (the default) runs no publisher. {@code capstan up} gives the gateway's
 *                     {@code DATA_DIR/pki/ca.crt}
 * @param podGc        the pod garbage collector's threshold and periods
 * @param autoscaler   the horizontal pod autoscaler's sync period, windows and node agent client certificate
 */
public record ControllerManagerConfig(Map<String, Object> kafka, TopicLayout layout, int workers, Duration writeTimeout,
    NodeLifecycleConfig nodeLifecycle, Path rootCaFile, PodGcConfig podGc, AutoscalerConfig autoscaler) {
  /**
   * kube-controller-manager's default of 5 (--concurrent-replicaset-syncs, --concurrent-deployment-syncs):
   * a reconcile mostly waits for the processor's replies, so workers cost little CPU (the
   * controllers bench created pods 1.8 times as fast with 8 workers as with 2 on two cores).
   */
  public static final int DEFAULT_WORKERS = 5;
  public static final Duration DEFAULT_WRITE_TIMEOUT = Duration.ofSeconds(30);

  public ControllerManagerConfig {
    if (kafka == null || kafka.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG) == null) {
      throw new IllegalArgumentException("controller manager config: kafka settings need bootstrap.servers, got " + kafka);
    }
    if (layout == null) {
      throw new IllegalArgumentException("controller manager config: layout is required");
    }
    if (workers < 1) {
      throw new IllegalArgumentException("controller manager config: workers must be at least 1, got " + workers);
    }
    if (writeTimeout == null || writeTimeout.isNegative() || writeTimeout.isZero()) {
      throw new IllegalArgumentException("controller manager config: writeTimeout must be positive, got " + writeTimeout);
    }
    if (nodeLifecycle == null) {
      throw new IllegalArgumentException("controller manager config: nodeLifecycle is required");
    }
    if (podGc == null) {
      throw new IllegalArgumentException("controller manager config: podGc is required");
    }
    if (autoscaler == null) {
      throw new IllegalArgumentException("controller manager config: autoscaler is required");
    }
    kafka = Map.copyOf(kafka);
  }

  public static ControllerManagerConfig defaults(Map<String, Object> kafka, TopicLayout layout) {
    return new ControllerManagerConfig(kafka, layout, DEFAULT_WORKERS, DEFAULT_WRITE_TIMEOUT,
        NodeLifecycleConfig.defaults(), null, PodGcConfig.defaults(), AutoscalerConfig.defaults());
  }

  public ControllerManagerConfig withWorkers(int workers) {
    return new ControllerManagerConfig(kafka, layout, workers, writeTimeout, nodeLifecycle, rootCaFile, podGc, autoscaler);
  }

  public ControllerManagerConfig withNodeLifecycle(NodeLifecycleConfig nodeLifecycle) {
    return new ControllerManagerConfig(kafka, layout, workers, writeTimeout, nodeLifecycle, rootCaFile, podGc, autoscaler);
  }

  /** Publishes this CA bundle as {@code kube-root-ca.crt} in every namespace; null for none. */
  public ControllerManagerConfig withRootCaFile(Path rootCaFile) {
    return new ControllerManagerConfig(kafka, layout, workers, writeTimeout, nodeLifecycle, rootCaFile, podGc, autoscaler);
  }

  public ControllerManagerConfig withPodGc(PodGcConfig podGc) {
    return new ControllerManagerConfig(kafka, layout, workers, writeTimeout, nodeLifecycle, rootCaFile, podGc, autoscaler);
  }

  public ControllerManagerConfig withAutoscaler(AutoscalerConfig autoscaler) {
    return new ControllerManagerConfig(kafka, layout, workers, writeTimeout, nodeLifecycle, rootCaFile, podGc, autoscaler);
  }
}
