package io.capstan.controllers.statefulset;

import io.capstan.api.PersistentVolumeClaim;
import io.capstan.api.Pod;
import io.capstan.api.PodTemplateSpec;
import io.capstan.api.StatefulSet;
import io.capstan.api.StatefulSetUpdateStrategy;
import io.capstan.controllers.deployment.IntOrPercent;
import io.capstan.controllers.runtime.PodConditions;
import io.capstan.controllers.runtime.PodTemplates;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * One sync of a StatefulSet as kube's updateStatefulSet plans it, without the writes. Replicas
 * are the ordinals {@code start … start+replicas-1}; the set's other pods are condemned.
 * <ol>
 *   <li>Each replica in ordinal order: a missing one is created (from the current revision below
 *   the partition, the update revision at or above it), a failed one deleted (it comes back with
 *   its name on the next sync), one whose identity labels drifted is relabelled, one without its
 *   claim volumes (its spec cannot change) deleted to come back with them. A pod's missing claims
 *   are made before it, from the volumeClaimTemplates, and reused when they exist; their owners
 *   follow persistentVolumeClaimRetentionPolicy ({@link ClaimRetention}). Under OrderedReady the
 *   sync stops at the first replica that is missing, terminating, or not Running, Ready and
 *   available: pods come up one at a time, in order.</li>
 *   <li>Condemned pods from the highest ordinal down: OrderedReady deletes one at a time and only
 *   when every other pod is healthy; Parallel deletes them all.</li>
 *   <li>RollingUpdate: replicas at or above the partition that are not of the update revision are
 *   deleted from the highest ordinal down, at most maxUnavailable (default 1) unhealthy at once;
 *   they come back at the update revision. OnDelete leaves them to the user.</li>
 * </ol>
 * Pure: the controller does the writes.
 */
public final class StatefulSetPlanner {
  public static final String PARALLEL = "Parallel";
  public static final String ON_DELETE = "OnDelete";

  private StatefulSetPlanner() {}

  /** The revisions a sync works with: the one the set's pods are at (current) and the one they go to (update). */
  public record Revisions(String currentName, PodTemplateSpec currentTemplate, String updateName,
      PodTemplateSpec updateTemplate) {}

  /** A claim to create or update for a pod (the pod to create, or the replica or condemned pod it belongs to). */
  public record ClaimWrite(PersistentVolumeClaim claim, Pod pod) {}

  /**
   * Claims to create (before the pods that use them) and to give other owners (before the pods are
   * deleted); pods to create, delete and relabel; how long until a ready pod becomes available,
   * when the sync waits on one.
   */
  public record Plan(List<ClaimWrite> createClaims, List<ClaimWrite> updateClaims, List<Pod> create, List<Pod> delete,
      List<Pod> fixIdentity, Optional<Duration> recheckAfter) {
    public boolean isEmpty() {
      return createClaims.isEmpty() && updateClaims.isEmpty() && create.isEmpty() && delete.isEmpty()
          && fixIdentity.isEmpty();
    }
  }

  private static final class Builder {
    final List<ClaimWrite> createClaims = new ArrayList<>();
    final List<ClaimWrite> updateClaims = new ArrayList<>();
    final List<Pod> create = new ArrayList<>();
    final List<Pod> delete = new ArrayList<>();
    final List<Pod> fix = new ArrayList<>();
    Duration recheck;

    Plan build() {
      return new Plan(createClaims, updateClaims, create, delete, fix, Optional.ofNullable(recheck));
    }

    void recheckIn(Duration d) {
      recheck = recheck == null || d.compareTo(recheck) < 0 ? d : recheck;
    }
  }

  public static boolean isParallel(StatefulSet set) {
    return PARALLEL.equals(set.getSpec().getPodManagementPolicy());
  }

  public static boolean isOnDelete(StatefulSet set) {
    StatefulSetUpdateStrategy s = set.getSpec().getUpdateStrategy();
    return s != null && ON_DELETE.equals(s.getType());
  }

  /** The partition: the first this many replicas (counted from the start ordinal) keep the current revision. */
  public static int partition(StatefulSet set) {
    StatefulSetUpdateStrategy s = set.getSpec().getUpdateStrategy();
    if (s == null || s.getRollingUpdate() == null || s.getRollingUpdate().getPartition() == null) {
      return 0;
    }
    return s.getRollingUpdate().getPartition();
  }

  /** maxUnavailable scaled against the replicas, rounded down, at least 1 (getStatefulSetMaxUnavailable). */
  public static int maxUnavailable(StatefulSet set) {
    StatefulSetUpdateStrategy s = set.getSpec().getUpdateStrategy();
    Object v = s == null || s.getRollingUpdate() == null ? null : s.getRollingUpdate().getMaxUnavailable();
    int n = IntOrPercent.scaled(v, 1, StatefulPods.replicas(set), false);
    return Math.max(1, n);
  }

  public static int minReadySeconds(StatefulSet set) {
    return set.getSpec().getMinReadySeconds() == null ? 0 : set.getSpec().getMinReadySeconds();
  }

  static boolean isTerminating(Pod p) {
    return p.getMetadata().getDeletionTimestamp() != null;
  }

  static boolean isRunningAndReady(Pod p) {
    return PodConditions.RUNNING.equals(PodConditions.phase(p)) && PodConditions.isReady(p);
  }

  /** isHealthy: Running, Ready and not terminating. */
  static boolean isHealthy(Pod p) {
    return isRunningAndReady(p) && !isTerminating(p);
  }

  private static boolean isFinished(Pod p) {
    String phase = PodConditions.phase(p);
    return PodConditions.FAILED.equals(phase) || PodConditions.SUCCEEDED.equals(phase);
  }

  /** The plan of one sync of a set without claims of its own to look up. */
  public static Plan plan(StatefulSet set, Revisions revisions, List<Pod> pods, Instant now) {
    return plan(set, revisions, pods, name -> null, now);
  }

  /**
   * The plan of one sync.
   *
   * @param pods the set's pods (claimed and named {@code <set>-<ordinal>})
   * @param claims the claims of the set's namespace by name (null when absent)
   */
  public static Plan plan(StatefulSet set, Revisions revisions, List<Pod> pods,
      Function<String, PersistentVolumeClaim> claims, Instant now) {
    Builder plan = new Builder();
    boolean monotonic = !isParallel(set);
    int start = StatefulPods.start(set);
    int count = StatefulPods.replicas(set);
    int minReady = minReadySeconds(set);
    Pod[] replicas = new Pod[count];
    boolean[] missing = new boolean[count];
    List<Pod> condemned = new ArrayList<>();
    for (Pod p : pods) {
      int ord = StatefulPods.ordinal(set, p);
      if (ord < 0) {
        continue;
      }
      if (ord >= start && ord - start < count) {
        replicas[ord - start] = p;
      } else {
        condemned.add(p);
      }
    }
    for (int i = 0; i < count; i++) {
      if (replicas[i] == null) {
        replicas[i] = newVersionedPod(set, revisions, start + i);
        missing[i] = true;
      }
    }
    condemned.sort(Comparator.comparingInt(p -> StatefulPods.ordinal(set, p)));
    Pod firstUnhealthy = null;
    for (int i = 0; i < count && firstUnhealthy == null; i++) {
      if (missing[i] || !isHealthy(replicas[i])) {
        firstUnhealthy = replicas[i];
      }
    }
    for (int i = 0; i < condemned.size() && firstUnhealthy == null; i++) {
      if (!isHealthy(condemned.get(i))) {
        firstUnhealthy = condemned.get(i);
      }
    }

    // 0. claims of condemned pods get the owners the policy wants before the pods go
    for (Pod pod : condemned) {
      if (!isTerminating(pod)) {
        fixClaimOwners(set, pod, claims, plan);
      }
    }

    // 1. the replicas, in ordinal order
    for (int i = 0; i < count; i++) {
      Pod pod = replicas[i];
      if (missing[i]) {
        // CreateStatefulPod: the missing claims first; a claim on its way out holds the pod back
        if (claimsReady(set, pod, start + i, claims, plan)) {
          plan.create.add(pod);
        }
        if (monotonic) {
          return plan.build();
        }
        continue;
      }
      if (!isTerminating(pod) && isPending(pod)) {
        claimsReady(set, pod, start + i, claims, plan); // createMissingPersistentVolumeClaims
      }
      if (isFinished(pod)) {
        if (!isTerminating(pod)) {
          plan.delete.add(pod); // a new pod of the same name follows once this one is gone
        }
        if (monotonic) {
          return plan.build();
        }
        continue;
      }
      if (monotonic && (isTerminating(pod) || !isRunningAndReady(pod))) {
        return plan.build();
      }
      if (monotonic && !PodConditions.isAvailable(pod, minReady, now)) {
        PodConditions.untilAvailable(pod, minReady, now).ifPresent(plan::recheckIn);
        return plan.build();
      }
      if (!isTerminating(pod) && !StatefulPods.storageMatches(set, pod)) {
        // A pod's volumes never change after it is made: one without the claims is made again.
        plan.delete.add(pod);
        if (monotonic) {
          return plan.build();
        }
        continue;
      }
      if (!StatefulPods.identityMatches(set, pod)) {
        Pod fixed = PodTemplates.copy(pod);
        StatefulPods.updateIdentity(fixed, start + i);
        plan.fix.add(fixed);
      }
      if (!isTerminating(pod)) {
        fixClaimOwners(set, pod, claims, plan);
      }
    }

    // 2. condemned pods, highest ordinal first
    for (int t = condemned.size() - 1; t >= 0; t--) {
      Pod pod = condemned.get(t);
      if (isTerminating(pod)) {
        if (monotonic) {
          return plan.build();
        }
        continue;
      }
      if (monotonic && !isHealthy(pod) && pod != firstUnhealthy) {
        return plan.build();
      }
      plan.delete.add(pod);
      if (monotonic) {
        return plan.build();
      }
    }

    // 3. the rolling update
    if (isOnDelete(set)) {
      return plan.build();
    }
    int unavailable = 0;
    for (int i = 0; i < count; i++) {
      if (missing[i] || !isHealthy(replicas[i]) || !PodConditions.isAvailable(replicas[i], minReady, now)
          || plan.delete.contains(replicas[i])) {
        unavailable++;
      }
    }
    int budget = maxUnavailable(set) - unavailable;
    int partition = partition(set);
    for (int i = count - 1; i >= 0 && budget > 0; i--) {
      Pod pod = replicas[i];
      if (i < partition) {
        break; // the partition counts from the first ordinal, as kube's updateMin does
      }
      if (!missing[i] && !isTerminating(pod) && !plan.delete.contains(pod)
          && !revisions.updateName().equals(StatefulPods.revision(pod))) {
        plan.delete.add(pod);
        budget--;
      }
    }
    return plan.build();
  }

  private static boolean isPending(Pod p) {
    return PodConditions.PENDING.equals(PodConditions.phase(p));
  }

  /**
   * Plans the replica's missing claims (owned as the retention policy says for a new claim); false
   * when one of them is being deleted or, under whenScaled Delete, still owned by an earlier pod.
   */
  private static boolean claimsReady(StatefulSet set, Pod pod, int ordinal,
      Function<String, PersistentVolumeClaim> claims, Builder plan) {
    boolean ready = true;
    for (PersistentVolumeClaim claim : StatefulPods.claims(set, ordinal).values()) {
      PersistentVolumeClaim found = claims.apply(claim.getMetadata().getName());
      if (found == null) {
        claim.getMetadata().setOwnerReferences(ClaimRetention.newClaimOwners(set));
        plan.createClaims.add(new ClaimWrite(claim, pod));
      } else if (found.getMetadata().getDeletionTimestamp() != null
          || (pod.getMetadata().getUid() == null
              && ClaimRetention.staleForNewPod(set, found, pod.getMetadata().getName()))) {
        ready = false;
      }
    }
    return ready;
  }

  /** The pod's existing claims whose owners are not as the retention policy wants. */
  private static void fixClaimOwners(StatefulSet set, Pod pod, Function<String, PersistentVolumeClaim> claims,
      Builder plan) {
    int ordinal = StatefulPods.ordinal(set, pod);
    for (PersistentVolumeClaim claim : StatefulPods.claims(set, ordinal).values()) {
      PersistentVolumeClaim found = claims.apply(claim.getMetadata().getName());
      if (found != null && found.getMetadata().getDeletionTimestamp() == null
          && !ClaimRetention.upToDate(found, set, pod)) {
        plan.updateClaims.add(new ClaimWrite(ClaimRetention.withOwners(found, set, pod), pod));
      }
    }
  }

  /**
   * newVersionedStatefulSetPod: below the partition a rolling update keeps making pods of the
   * current revision; otherwise (and always under OnDelete) new pods are of the update revision.
   */
  static Pod newVersionedPod(StatefulSet set, Revisions revisions, int ordinal) {
    if (!isOnDelete(set) && ordinal - StatefulPods.start(set) < partition(set)) {
      return StatefulPods.newPod(set, revisions.currentTemplate(), ordinal, revisions.currentName());
    }
    return StatefulPods.newPod(set, revisions.updateTemplate(), ordinal, revisions.updateName());
  }
}
