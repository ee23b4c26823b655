package io.capstan.nodeagent.sync;

import io.capstan.api.ContainerStateTerminated;
import io.capstan.nodeagent.runtime.ImageInfo;
import java.time.Instant;

/** What the sync loop remembers about one container of a pod across its restarts. Owned by the pod's worker. */
final class ContainerTrack {
  final String name;
  final boolean init;
  /** An ephemeral container (spec.ephemeralContainers): started once, never restarted, never ready. */
  final boolean ephemeral;
  /** For an ephemeral container with a targetContainerName: the runtime id of that container, whose processes it sees. */
  String pidNamespaceOf;
  /** The runtime id of the current attempt; null before the first. */
  String id;
  /** Restarts so far (status.containerStatuses[].restartCount; also the attempt number). */
  int restartCount;
  /** The previous attempt's end (status lastState). */
  ContainerStateTerminated lastTermination;
  /** The runtime id whose exit has been taken into account (backoff, lastState). */
  String exitSeen;
  /** Set while the container cannot run: ErrImagePull, CrashLoopBackOff, CreateContainerConfigError, … */
  String waitingReason;
  String waitingMessage;
  ImageInfo image;
  final RestartBackoff restartBackoff = new RestartBackoff();
  final RestartBackoff pullBackoff = new RestartBackoff();
  /** When the current attempt may start, while in back-off. */
  Instant backoffUntil;
  /** Readiness as the readiness probe last said (true without a probe). */
  volatile boolean ready;
  /** Startup as the startup probe last said (true without a probe). */
  volatile boolean started;
  /** Consecutive probe results, for the success/failure thresholds. */
  int livenessFailures;
  int readinessSuccesses;
  int readinessFailures;
  int startupFailures;
  Instant nextProbe;

  ContainerTrack(String name, boolean init) {
    this(name, init, false);
  }

  ContainerTrack(String name, boolean init, boolean ephemeral) {
    this.name = name;
    this.init = init;
    this.ephemeral = ephemeral;
  }

  void waiting(String reason, String message) {
    waitingReason = reason;
    waitingMessage = message;
  }

  void clearWaiting() {
    waitingReason = null;
    waitingMessage = null;
  }
}
