package io.capstan.ops;

import io.capstan.controllers.hpa.AutoscalerConfig;
import io.capstan.controllers.manager.ControllerManager;
import io.capstan.controllers.manager.ControllerManagerConfig;
import io.capstan.controllers.nodelifecycle.NodeLifecycleConfig;
import io.capstan.controllers.podgc.PodGcConfig;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.informer.SharedInformers;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The controller-manager: ReplicaSet, Deployment, Job, garbage-collector, Namespace, Endpoints, node lifecycle and
 * ResourceQuota controllers, and the root CA publisher when given a CA file.
 */
final class ControllersComponent implements Component {
  private final ControllerManager manager;

  /**
   * @param rootCaFile the cluster CA bundle to publish as {@code kube-root-ca.crt} in every namespace, or null for none
   * @param shared the process's informers for the controllers to read through, or null for their own
   */
  ControllersComponent(Map<String, Object> kafka, TopicLayout layout, NodeLifecycleConfig nodeLifecycle,
      Path rootCaFile, SharedInformers shared, MeterRegistry registry) {
    this(kafka, layout, nodeLifecycle, rootCaFile, PodGcConfig.defaults(), shared, registry);
  }

  /** @param podGc the pod garbage collector's settings ({@code --terminated-pod-gc-threshold}) */
  ControllersComponent(Map<String, Object> kafka, TopicLayout layout, NodeLifecycleConfig nodeLifecycle,
      Path rootCaFile, PodGcConfig podGc, SharedInformers shared, MeterRegistry registry) {
    this(kafka, layout, nodeLifecycle, rootCaFile, podGc, AutoscalerConfig.defaults(), shared, registry);
  }

  /** @param autoscaler the horizontal pod autoscaler's settings and its client certificate for node agents */
  ControllersComponent(Map<String, Object> kafka, TopicLayout layout, NodeLifecycleConfig nodeLifecycle,
      Path rootCaFile, PodGcConfig podGc, AutoscalerConfig autoscaler, SharedInformers shared,
      MeterRegistry registry) {
    this.manager = new ControllerManager(ControllerManagerConfig.defaults(kafka, layout).withNodeLifecycle(nodeLifecycle)
        .withRootCaFile(rootCaFile).withPodGc(podGc).withAutoscaler(autoscaler), shared, registry);
  }

  /** The pod garbage collector's settings with {@code --terminated-pod-gc-threshold}, checked. */
  static PodGcConfig podGc(int terminatedPodGcThreshold) {
    if (terminatedPodGcThreshold < 0) {
      throw new IllegalArgumentException("--terminated-pod-gc-threshold must be 0 (terminated pods are kept) or more,"
          + " got " + terminatedPodGcThreshold);
    }
    return PodGcConfig.defaults().withTerminatedPodThreshold(terminatedPodGcThreshold);
  }

  @Override
  public String name() {
    return "controllers";
  }

  @Override
  public void start() {
    manager.start();
  }

  @Override
  public void awaitReady(Duration timeout) {
    try {
      manager.awaitReady(timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while the controllers started", e);
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
