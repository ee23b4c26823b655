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

    List<Container> inits = pod.getSpec().getInitContainers() == null ? List.of() : pod.getSpec().getInitContainers();
    List<ContainerStatus> initStatuses = new ArrayList<>();
    List<String> initPending = new ArrayList<>();
    boolean initFailed = false;
    for (Container c : inits) {
      ContainerTrack t = s.track(c.getName(), true);
      ContainerStatus st = status(c, t, runtime, containerIdScheme, false);
      initStatuses.add(st);
      ContainerStateTerminated term = st.getState().getTerminated();
      if (term == null || term.getExitCode() != 0) {
        initPending.add(c.getName());
        if (term != null && "Never".equals(restartPolicy(pod))) {
          initFailed = true;
        }
      }
    }
    boolean initialized = initPending.isEmpty();
    List<ContainerStatus> statuses = new ArrayList<>();
    List<String> unready = new ArrayList<>();
    int running = 0;
    int waiting = 0;
    int stopped = 0;
    int succeeded = 0;
    int failed = 0;
    for (Container c : pod.getSpec().getContainers()) {
      ContainerTrack t = s.track(c.getName(), false);
      ContainerStatus st = status(c, t, runtime, containerIdScheme, !initialized);
      statuses.add(st);
      if (!Boolean.TRUE.equals(st.getReady())) {
        unready.add(c.getName());
      }
      ContainerState state = st.getState();
      if (state.getRunning() != null) {
        running++;
      } else if (state.getTerminated() != null) {
        stopped++;
        if (state.getTerminated().getExitCode() == 0) {
          succeeded++;
        } else {
          failed++;
        }
      } else if (st.getLastState() != null && st.getLastState().getTerminated() != null) {
        stopped++;
      } else {
        waiting++;
      }
    }
    String phase;
    String policy = restartPolicy(pod);
    if (initFailed) {
      phase = "Failed";
    } else if (!initialized) {
      phase = "Pending";
    } else if (waiting > 0) {
      phase = "Pending";
    } else if (running > 0) {
      phase = "Running";
    } else if (stopped > 0) {
      if (policy.equals("Always")) {
        phase = "Running";
      } else if (failed == 0) {
        phase = "Succeeded";
      } else if (policy.equals("OnFailure")) {
        phase = "Running";
      } else {
        phase = "Failed";
      }
    } else {
      phase = "Pending";
    }
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
    conditions.add(condition(previous, "Initialized", initialized || done,
        initialized || done ? null : "ContainersNotInitialized",
        initialized || done ? null : "containers with incomplete status: " + initPending, now));
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
