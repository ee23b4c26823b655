package io.capstan.scheduler.framework;

/**
 * The cluster changes that can make an unschedulable pod fit (framework.ClusterEvent, coarsened
 * to what our plugins distinguish). The queue moves a parked pod back only on an event one of
 * the plugins that rejected it registered.
 */
public enum ClusterEvent {
  NODE_ADD,
  /** Allocatable, labels, taints or unschedulable changed. */
  NODE_UPDATE,
  /** An assigned pod went away: its resources, ports and anti-affinity are free. */
  ASSIGNED_POD_DELETE,
  /** An assigned pod was added (affinity and spreading count it). */
  ASSIGNED_POD_ADD,
  /** An assigned pod's labels changed or its requests shrank. */
  ASSIGNED_POD_UPDATE,
  /** The unschedulable pod itself changed (queueing hints for the pod's own update). */
  UNSCHEDULED_POD_UPDATE,
  /** A PersistentVolumeClaim, PersistentVolume or StorageClass was added or changed. */
  VOLUME_CHANGE
}
