package io.capstan.logschema.taints;

/**
 * The taint keys Kubernetes itself puts on nodes (core/v1 well-known taints): the node lifecycle
 * controller's condition taints and the cordon taint.
 */
public final class TaintKeys {
  /** Ready is False (NoSchedule, and NoExecute for taint-based eviction). */
  public static final String NOT_READY = "node.kubernetes.io/not-ready";
  /** Ready is Unknown: the node stopped posting status and renewing its Lease. */
  public static final String UNREACHABLE = "node.kubernetes.io/unreachable";
  public static final String MEMORY_PRESSURE = "node.kubernetes.io/memory-pressure";
  public static final String DISK_PRESSURE = "node.kubernetes.io/disk-pressure";
  public static final String PID_PRESSURE = "node.kubernetes.io/pid-pressure";
  public static final String NETWORK_UNAVAILABLE = "node.kubernetes.io/network-unavailable";
  /** {@code spec.unschedulable} (kubectl cordon). */
  public static final String UNSCHEDULABLE = "node.kubernetes.io/unschedulable";

  public static final String NO_SCHEDULE = "NoSchedule";
  public static final String PREFER_NO_SCHEDULE = "PreferNoSchedule";
  public static final String NO_EXECUTE = "NoExecute";

  private TaintKeys() {}
}
