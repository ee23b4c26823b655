package io.capstan.nodeagent.sync;

import io.capstan.api.Pod;
import io.capstan.api.PodStatus;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/** One pod on this node as its worker sees it: the latest object and what was done for it. */
final class PodState {
  final String uid;
  /** The latest object from the view; replaced by the reader's thread. */
  volatile Pod pod;
  /** The pod is gone from the API (force-deleted, or our delete went through). */
  volatile boolean removedFromApi;
  /** Worker scheduling: a sync is queued or running; another is wanted. */
  final AtomicBoolean scheduled = new AtomicBoolean();
  final AtomicBoolean dirty = new AtomicBoolean();

  // ---- owned by the worker ----
  /** Whether containers an earlier agent left for this pod were looked for (once, at its first sync). */
  boolean adoptionChecked;
  boolean admitted;
  Admission.Rejection rejection;
  String sandboxId;
  /** The pod's IP once its sandbox exists: on the pod network, or the node's for host-network pods. */
  String podIp;
  Map<String, Path> volumes;
  /** What the pod's API-sourced volumes last got (see {@link PodVolumes#refresh}). */
  final PodVolumes.Written writtenVolumes = new PodVolumes.Written();
  String mountError;
  Instant startTime;
  final Map<String, ContainerTrack> containers = new LinkedHashMap<>();
  /**
   * The latest status the worker made, kept by the {@link PodStatusManager} until it is stored
   * (then the same object as {@link #lastSent}); what this agent knows of the pod whether the
   * cluster's log answers or not.
   */
  volatile PodStatus kept;
  /** Bumped with each {@link #kept} (guarded by the status manager). */
  long keptVersion;
  /** A status write of this pod is in flight (guarded by the status manager). */
  boolean statusInFlight;
  /** The last status stored in the cluster (written by the status manager). */
  volatile PodStatus lastSent;
  /** The pod's resourceVersion after {@link #lastSent} was stored (0: nothing sent yet). */
  volatile long lastSentRv;
  /** The last status the cluster refused (written by the status manager). */
  volatile PodStatus lastRefused;
  /** When {@link #lastSent} was stored. */
  volatile Instant lastSentAt = Instant.EPOCH;
  boolean killed;
  /** The final delete was answered (accepted, or the pod was gone); set on a client thread. */
  volatile boolean deleteSent;
  /** The final delete is in flight. */
  volatile boolean deleteInFlight;
  boolean runningObserved;
  /**
   * The init containers are through (plain ones exited 0, native sidecars started): the
   * containers may start. Once true it stays, as kubelet never initializes a pod twice.
   */
  boolean initialized;
  /** The native sidecars were stopped (the containers finished, or the pod is being deleted): none restarts. */
  boolean sidecarsStopped;
  Instant nextWake;

  PodState(String uid, Pod pod) {
    this.uid = uid;
    this.pod = pod;
  }

  /** Whether the status kept for this pod is stored in the cluster (true when there is none). */
  boolean statusStored() {
    PodStatus k = kept;
    return k == null || k == lastSent;
  }

  /** Whether the cluster answered about the status kept: stored or refused (true when there is none). */
  boolean statusSettled() {
    PodStatus k = kept;
    return k == null || k == lastSent || k == lastRefused;
  }

  ContainerTrack track(String name, boolean init) {
    return containers.computeIfAbsent((init ? "init:" : "") + name, k -> new ContainerTrack(name, init));
  }

  ContainerTrack trackEphemeral(String name) {
    return containers.computeIfAbsent("ephemeral:" + name, k -> new ContainerTrack(name, false, true));
  }

  String namespace() {
    return pod.getMetadata().getNamespace();
  }

  String name() {
    return pod.getMetadata().getName();
  }

  /** kubelet's pod description in messages: {@code name_namespace(uid)}. */
  String describe() {
    return name() + "_" + namespace() + "(" + uid + ")";
  }
}
