package io.capstan.nodeagent.sync;

import io.capstan.api.Container;
import io.capstan.api.ContainerState;
import io.capstan.api.ContainerStateRunning;
import io.capstan.api.ContainerStateTerminated;
import io.capstan.api.ContainerStateWaiting;
import io.capstan.api.ContainerStatus;
import io.capstan.api.EphemeralContainer;
import io.capstan.api.HostIP;
import io.capstan.api.Pod;
import io.capstan.api.PodCondition;
import io.capstan.api.PodIP;
import io.capstan.api.PodStatus;
import io.capstan.logschema.pods.EphemeralContainers;
import io.capstan.nodeagent.Times;
import io.capstan.nodeagent.runtime.ContainerInfo;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/** The pod's status from what the worker knows, as kubelet's generateAPIPodStatus and getPhase. */
final class PodStatusBuilder {
  static final String RUNC_PREFIX = "runc://";

  private PodStatusBuilder() {}

  static PodStatus build(PodState s, Function<String, Optional<ContainerInfo>> runtime, String hostIp,
      String containerIdScheme, Instant now) {
    Pod pod = s.pod;
    PodStatus.Builder b = PodStatus.newBuilder();
    b.setObservedGeneration(pod.getMetadata().getGeneration());
    b.setHostIP(hostIp).setHostIPs(List.of(HostIP.newBuilder().setIp(hostIp).build()));
    b.setQosClass(PodResources.qosClass(pod));
    if (s.startTime != null) {
      b.setStartTime(Times.time(s.startTime));
    }
    List<PodCondition> previous = pod.getStatus() == null || pod.getStatus().getConditions() == null ? List.of()
        : pod.getStatus().getConditions();
    if (s.rejection != null) {
      b.setPhase("Failed").setReason(s.rejection.reason()).setMessage(s.rejection.message());
      b.setConditions(keepScheduled(previous));
      return b.build();
    }
    if (s.podIp != null) {
      b.setPodIP(s.podIp).setPodIPs(List.of(PodIP.newBuilder().setIp(s.podIp).build()));
    }

    List<Container> inits = NativeSidecars.initContainers(pod);
    List<ContainerStatus> initStatuses = new ArrayList<>();
    for (Container c : inits) {
      initStatuses.add(status(c, s.track(c.getName(), true), runtime, containerIdScheme, false));
    }
    // Whether the containers may have started: kubelet's walk is through, or one of them ran already.
    boolean initialized = s.initialized || incomplete(inits, initStatuses).isEmpty();
    List<ContainerStatus> statuses = new ArrayList<>();
    for (Container c : pod.getSpec().getContainers()) {
      statuses.add(status(c, s.track(c.getName(), false), runtime, containerIdScheme, !initialized));
    }
    String policy = restartPolicy(pod);
    String phase = phase(policy, inits, initStatuses, statuses);
    // A pod being deleted whose containers all stopped is done, as kubelet reports a terminated pod.
    b.setPhase(phase);
    b.setInitContainerStatuses(initStatuses.isEmpty() ? null : initStatuses);
    b.setContainerStatuses(statuses);
    // Ephemeral containers count for neither the phase nor readiness, and are never ready.
    List<ContainerStatus> ephemeral = new ArrayList<>();
    for (EphemeralContainer e : EphemeralContainers.of(pod.getSpec())) {
      ContainerStatus st = status(EphemeralContainers.asContainer(e), s.trackEphemeral(e.getName()), runtime,
          containerIdScheme, false);
      st.setReady(false);
      ephemeral.add(st);
    }
    b.setEphemeralContainerStatuses(ephemeral.isEmpty() ? null : ephemeral);

    List<PodCondition> conditions = new ArrayList<>(keepScheduled(previous));
    boolean done = phase.equals("Succeeded") || phase.equals("Failed");
    // GeneratePodInitializedCondition: a pod whose containers started was initialized, even while a sidecar restarts.
    List<String> initPending = incomplete(inits, initStatuses);
    boolean podInitialized = initPending.isEmpty() || done || anyStarted(statuses);
    conditions.add(condition(previous, "Initialized", podInitialized,
        podInitialized ? null : "ContainersNotInitialized",
        podInitialized ? null : "containers with incomplete status: " + initPending, now));
    // GenerateContainersReadyCondition: the native sidecars, then the containers.
    List<String> unready = new ArrayList<>();
    for (int i = 0; i < inits.size(); i++) {
      if (NativeSidecars.isSidecar(inits.get(i)) && !Boolean.TRUE.equals(initStatuses.get(i).getReady())) {
        unready.add(inits.get(i).getName());
      }
    }
    for (ContainerStatus st : statuses) {
      if (!Boolean.TRUE.equals(st.getReady())) {
        unready.add(st.getName());
      }
    }
    boolean allReady = unready.isEmpty() && !done;
    String notReadyReason = done ? "PodCompleted" : "ContainersNotReady";
    String notReadyMessage = done ? null : "containers with unready status: " + unready;
    conditions.add(condition(previous, "ContainersReady", allReady, allReady ? null : notReadyReason,
        allReady ? null : notReadyMessage, now));
    conditions.add(condition(previous, "Ready", allReady, allReady ? null : notReadyReason,
        allReady ? null : notReadyMessage, now));
    b.setConditions(conditions);
    return b.build();
  }

  /**
   * kubelet's getPhase: plain init containers still to run keep the pod Pending (one that failed
   * fails it under restartPolicy Never); native sidecars count as running while they run and are
   * left out once they stopped; then the containers decide as they always did.
   */
  static String phase(String policy, List<Container> inits, List<ContainerStatus> initStatuses,
      List<ContainerStatus> statuses) {
    int pendingInit = 0;
    int failedInit = 0;
    int pendingSidecars = 0;
    int running = 0;
    int waiting = 0;
    int stopped = 0;
    int succeeded = 0;
    for (int i = 0; i < inits.size(); i++) {
      ContainerStatus st = initStatuses.get(i);
      ContainerState state = st.getState();
      ContainerStateTerminated last = st.getLastState() == null ? null : st.getLastState().getTerminated();
      if (NativeSidecars.isSidecar(inits.get(i))) {
        if (state.getRunning() != null) {
          if (!Boolean.TRUE.equals(st.getStarted())) {
            pendingSidecars++;
          }
          running++;
        } else if (state.getWaiting() != null && last == null) {
          pendingSidecars++;
          waiting++;
        } // a sidecar that stopped (or is restarting) does not count
        continue;
      }
      if (state.getRunning() != null) {
        pendingInit++;
      } else if (state.getTerminated() != null) {
        if (state.getTerminated().getExitCode() != 0) {
          failedInit++;
        }
      } else if (last != null) {
        if (last.getExitCode() != 0) {
          failedInit++;
        }
      } else {
        pendingInit++;
      }
    }
    for (ContainerStatus st : statuses) {
      ContainerState state = st.getState();
      if (state.getRunning() != null) {
        running++;
      } else if (state.getTerminated() != null) {
        stopped++;
        if (state.getTerminated().getExitCode() == 0) {
          succeeded++;
        }
      } else if (st.getLastState() != null && st.getLastState().getTerminated() != null) {
        stopped++;
      } else {
        waiting++;
      }
    }
    if (failedInit > 0 && policy.equals("Never")) {
      return "Failed";
    }
    if (pendingInit > 0 || (pendingSidecars > 0 && !anyStarted(statuses)) || waiting > 0) {
      return "Pending";
    }
    if (running > 0) {
      return "Running";
    }
    if (stopped > 0) {
      if (policy.equals("Always")) {
        return "Running"; // restarting
      }
      if (stopped == succeeded) {
        return "Succeeded";
      }
      return policy.equals("Never") ? "Failed" : "Running";
    }
    return "Pending";
  }

  /** The init containers still in the way (plain ones not exited 0, sidecars not started), by name. */
  private static List<String> incomplete(List<Container> inits, List<ContainerStatus> initStatuses) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < inits.size(); i++) {
      ContainerStatus st = initStatuses.get(i);
      if (NativeSidecars.isSidecar(inits.get(i))) {
        if (!Boolean.TRUE.equals(st.getStarted())) {
          out.add(inits.get(i).getName());
        }
      } else if (st.getState().getTerminated() == null || st.getState().getTerminated().getExitCode() != 0) {
        out.add(inits.get(i).getName());
      }
    }
    return out;
  }

  /** HasAnyRegularContainerStarted: a container is running or has run. */
  private static boolean anyStarted(List<ContainerStatus> statuses) {
    return statuses.stream().anyMatch(st -> st.getState().getRunning() != null || st.getState().getTerminated() != null);
  }

  static String restartPolicy(Pod pod) {
    return pod.getSpec().getRestartPolicy() == null ? "Always" : pod.getSpec().getRestartPolicy();
  }

  private static List<PodCondition> keepScheduled(List<PodCondition> previous) {
    return previous.stream().filter(c -> c.getType().equals("PodScheduled")).toList();
  }

  private static PodCondition condition(List<PodCondition> previous, String type, boolean on, String reason,
      String message, Instant now) {
    String status = on ? "True" : "False";
    String transition = previous.stream().filter(c -> c.getType().equals(type) && c.getStatus().equals(status))
        .map(PodCondition::getLastTransitionTime).findFirst().orElse(Times.time(now));
    return PodCondition.newBuilder().setType(type).setStatus(status).setReason(reason).setMessage(message)
        .setLastTransitionTime(transition).build();
  }

  private static ContainerStatus status(Container c, ContainerTrack t, Function<String, Optional<ContainerInfo>> runtime,
      String scheme, boolean initPending) {
    Optional<ContainerInfo> info = t.id == null ? Optional.empty() : runtime.apply(t.id);
    ContainerState.Builder state = ContainerState.newBuilder();
    boolean runningNow = false;
    if (t.waitingReason != null) {
      state.setWaiting(ContainerStateWaiting.newBuilder().setReason(t.waitingReason).setMessage(t.waitingMessage).build());
    } else if (info.isEmpty() || info.get().state() == ContainerInfo.State.CREATED) {
      state.setWaiting(ContainerStateWaiting.newBuilder()
          .setReason(initPending && !t.init ? "PodInitializing" : "ContainerCreating").build());
    } else if (info.get().state() == ContainerInfo.State.RUNNING) {
      state.setRunning(ContainerStateRunning.newBuilder().setStartedAt(Times.time(info.get().startedAt())).build());
      runningNow = true;
    } else {
      state.setTerminated(terminated(info.get(), scheme));
    }
    ContainerStatus.Builder s = ContainerStatus.newBuilder()
        .setName(c.getName())
        .setState(state.build())
        .setRestartCount(t.restartCount)
        .setImage(c.getImage())
        .setReady(runningNow && t.ready)
        .setStarted(runningNow && t.started);
    if (t.lastTermination != null) {
      s.setLastState(ContainerState.newBuilder().setTerminated(t.lastTermination).build());
    }
    if (t.image != null) {
      // A pulled image's repository digest (the manifest's), as kubelet reports it; else the image id.
      s.setImageID(t.image.names().stream().filter(n -> n.contains("@sha256:")).findFirst().orElseGet(() -> {
        String repo = t.image.names().isEmpty() ? "" : t.image.names().get(0).replaceAll(":[^:/]+$", "");
        return repo + "@" + t.image.id();
      }));
    }
    if (info.isPresent()) {
      s.setContainerID(scheme + info.get().id());
    }
    return s.build();
  }

  static ContainerStateTerminated terminated(ContainerInfo i, String scheme) {
    return ContainerStateTerminated.newBuilder()
        .setExitCode(i.exitCode())
        .setReason(i.reason())
        .setMessage(i.message())
        .setStartedAt(i.startedAt() == null ? null : Times.time(i.startedAt()))
        .setFinishedAt(i.finishedAt() == null ? null : Times.time(i.finishedAt()))
        .setContainerID(scheme + i.id())
        .build();
  }
}
