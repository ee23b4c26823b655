package io.capstan.controllers.nodelifecycle;

import io.capstan.api.Pod;
import io.capstan.api.Taint;
import io.capstan.api.Toleration;
import io.capstan.controllers.runtime.PodConditions;
import io.capstan.logschema.taints.Tolerations;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What taint-based eviction (the taint-eviction controller's processPodOnNode) does with one pod
 * on a node with NoExecute taints: a pod that does not tolerate every one of them goes now; a pod
 * that tolerates them all stays for the smallest {@code tolerationSeconds} of the tolerations used
 * (zero or less: goes now), or forever when none of them sets it.
 *
 * <p>The countdown starts when the taint was added ({@code timeAdded}, which this controller
 * writes) rather than when this instance first noticed the pod, so a controller-manager that
 * takes over the node's shard continues it instead of starting again; a pod that came to the node
 * after the taint counts from its creation, and a taint without {@code timeAdded} from when it was
 * first seen.
 */
final class TaintEviction {

  /** The decision for one pod. */
  sealed interface Decision {
    /** No NoExecute taint, or tolerated forever: nothing scheduled. */
    record Stay() implements Decision {}

    /** Tolerated until {@code at}. */
    record EvictAt(Instant at, Taint taint) implements Decision {}

    /** Delete the pod now: {@code taint} is not tolerated, or no longer. */
    record EvictNow(Taint taint, boolean untolerated) implements Decision {}
  }

  static final Decision STAY = new Decision.Stay();

  private TaintEviction() {}

  /**
   * @param noExecute the node's NoExecute taints
   * @param firstSeen when the controller first saw this pod under these taints, for taints without a {@code timeAdded}
   */
  static Decision decide(Pod pod, List<Taint> noExecute, Instant firstSeen, Instant now) {
    if (noExecute.isEmpty()) {
      return STAY;
    }
    List<Toleration> tolerations = pod.getSpec() == null ? List.of()
        : pod.getSpec().getTolerations() == null ? List.of() : pod.getSpec().getTolerations();
    Optional<List<Toleration>> used = Tolerations.matching(noExecute, tolerations);
    if (used.isEmpty()) {
      Taint untolerated = Tolerations.firstUntolerated(noExecute, tolerations, t -> true);
      return new Decision.EvictNow(untolerated, true);
    }
    // getMinTolerationTime: the smallest tolerationSeconds among the tolerations used; none set = forever.
    Long min = null;
    int which = -1;
    for (int i = 0; i < used.get().size(); i++) {
      Long s = used.get().get(i).getTolerationSeconds();
      if (s != null && (min == null || s < min)) {
        min = s;
        which = i;
      }
    }
    if (min == null) {
      return STAY;
    }
    Taint taint = noExecute.get(which);
    if (min <= 0) {
      return new Decision.EvictNow(taint, false);
    }
    Instant start = start(noExecute, firstSeen);
    Instant created = PodConditions.created(pod);
    if (created.isAfter(start)) {
      start = created;
    }
    if (start.isAfter(now)) {
      start = now; // a clock ahead of ours must not postpone the eviction beyond its seconds
    }
    Instant at = start.plus(Duration.ofSeconds(min));
    return at.isAfter(now) ? new Decision.EvictAt(at, taint) : new Decision.EvictNow(taint, false);
  }

  /** When the node became tainted: its earliest NoExecute taint's timeAdded (or first sighting). */
  private static Instant start(List<Taint> noExecute, Instant firstSeen) {
    Instant start = null;
    for (Taint t : noExecute) {
      Instant added = PodConditions.instant(t.getTimeAdded()).orElse(firstSeen);
      if (start == null || added.isBefore(start)) {
        start = added;
      }
    }
    return start;
  }
}
