package io.capstan.nodeagent.sync;

import io.capstan.api.Container;
import io.capstan.api.Pod;
import io.capstan.nodeagent.runtime.ContainerInfo;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Native sidecars (KEP-753): init containers with {@code restartPolicy: Always}. They start in
 * their turn among the init containers, count as done once started, keep running beside the
 * pod's containers, are restarted whenever they exit, and stop after the containers, last one
 * first. What the sync loop and the status builder ask about them.
 */
final class NativeSidecars {
  static final String ALWAYS = "Always";

  private NativeSidecars() {}

  static boolean isSidecar(Container c) {
    return ALWAYS.equals(c.getRestartPolicy());
  }

  /** Whether the pod's init container {@code name} is a native sidecar. */
  static boolean isSidecar(Pod pod, String name) {
    return initContainers(pod).stream().anyMatch(c -> c.getName().equals(name) && isSidecar(c));
  }

  static List<Container> initContainers(Pod pod) {
    return pod.getSpec().getInitContainers() == null ? List.of() : pod.getSpec().getInitContainers();
  }

  /** The pod's native sidecars, in their order. */
  static List<Container> sidecars(Pod pod) {
    return initContainers(pod).stream().filter(NativeSidecars::isSidecar).toList();
  }

  /**
   * Whether the pod's containers have all finished for good (its restartPolicy restarts none of
   * them): kubelet then kills the pod, so its sidecars no longer hold up a Job's completion.
   * Never with a restartPolicy of Always.
   */
  static boolean mainContainersFinished(Pod pod, String restartPolicy,
      Function<ContainerTrack, Optional<ContainerInfo>> runtime, PodState s) {
    if (ALWAYS.equals(restartPolicy) || sidecars(pod).isEmpty()) {
      return false;
    }
    for (Container c : pod.getSpec().getContainers()) {
      Optional<ContainerInfo> info = runtime.apply(s.track(c.getName(), false));
      if (info.isEmpty() || !info.get().exited()) {
        return false;
      }
      if (!"Never".equals(restartPolicy) && info.get().exitCode() != 0) {
        return false; // OnFailure restarts it
      }
    }
    return true;
  }
}
