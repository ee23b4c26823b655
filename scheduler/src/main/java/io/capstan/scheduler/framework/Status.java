package io.capstan.scheduler.framework;

import java.util.List;

/**
 * What a plugin answered (framework.Status). Unschedulable reasons are the phrases the failure
 * message counts per node, e.g. {@code Insufficient cpu}. {@code UNSCHEDULABLE_AND_UNRESOLVABLE}
 * tells preemption that evicting pods from the node would not help.
 *
 * @param plugin the plugin that failed the pod (null for success)
 */
public record Status(Code code, List<String> reasons, String plugin) {

  /** framework.Code, without the codes for extension points we do not have. */
  public enum Code { SUCCESS, UNSCHEDULABLE, UNSCHEDULABLE_AND_UNRESOLVABLE, ERROR, SKIP }

  public static final Status SUCCESS = new Status(Code.SUCCESS, List.of(), null);
  public static final Status SKIP = new Status(Code.SKIP, List.of(), null);

  public Status {
    reasons = List.copyOf(reasons);
  }

  public static Status unschedulable(String... reasons) {
    return new Status(Code.UNSCHEDULABLE, List.of(reasons), null);
  }

  public static Status unresolvable(String... reasons) {
    return new Status(Code.UNSCHEDULABLE_AND_UNRESOLVABLE, List.of(reasons), null);
  }

  public static Status error(String message) {
    return new Status(Code.ERROR, List.of(message), null);
  }

  public Status withPlugin(String name) {
    return new Status(code, reasons, name);
  }

  public boolean isSuccess() {
    return code == Code.SUCCESS;
  }

  public boolean isSkip() {
    return code == Code.SKIP;
  }

  public boolean isRejected() {
    return code == Code.UNSCHEDULABLE || code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE;
  }

  public String message() {
    return String.join(", ", reasons);
  }
}
