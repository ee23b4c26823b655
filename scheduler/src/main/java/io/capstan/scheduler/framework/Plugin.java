package io.capstan.scheduler.framework;

import java.util.Set;

/** A scheduling plugin; it implements one or more extension-point interfaces. */
public interface Plugin {
  /** The name configuration and failure statuses use, as Kubernetes names it (e.g. {@code NodeResourcesFit}). */
  String name();

  /**
   * The cluster events after which a pod this plugin rejected may fit (EnqueueExtensions.EventsToRegister):
   * only they move the pod out of the unschedulable queue.
   */
  default Set<ClusterEvent> events() {
    return Set.of(ClusterEvent.values());
  }
}
