package io.capstan.controllers.daemonset;

import io.capstan.api.DaemonSet;
import io.capstan.api.DaemonSetUpdateStrategy;
import io.capstan.api.Pod;
import io.capstan.api.RollingUpdateDaemonSet;
import io.capstan.controllers.runtime.PodConditions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The pure steps of kube's daemon controller: {@code manage} (which nodes need a daemon pod, which
 * daemon pods must go) and {@code rollingUpdate} (which old pods to replace now, within
 * maxUnavailable, or which nodes get a surge pod, within maxSurge). The controller feeds it the
 * nodes with their {@link DaemonPods.Placement}, the daemon set's pods grouped by target node, and
 * the current revision hash, and carries out the {@link Plan}.
 */
public final class DaemonSetPlanner {
  private DaemonSetPlanner() {}

  /** Nodes that get a new pod, and pods to delete. */
  public record Plan(List<String> nodesToCreate, List<Pod> podsToDelete) {
    public boolean isEmpty() {
      return nodesToCreate.isEmpty() && podsToDelete.isEmpty();
    }
  }

  /** Oldest first, and among equal ages the one further along (podByCreationTimestampAndPhase). */
  static final Comparator<Pod> OLDEST_FIRST = Comparator.comparing(PodConditions::created)
      .thenComparing(p -> p.getMetadata().getName());

  /**
   * manage / podsShouldBeOnNode for every node: a node that should run the daemon and has no pod
   * gets one; failed pods are deleted (when {@code mayReplaceFailed} says the node's backoff is
   * over); beyond one running pod per node the newer ones go (with surge, an old and a new pod may
   * share a node until the new one is available); a node that may not keep the daemon loses its
   * pods; unbound pods aimed at a node that no longer exists are deleted.
   *
   * @param placements       every node, by name, with whether the daemon should run there
   * @param nodeToDaemonPods the set's pods by target node (terminal pods being deleted left out)
   */
  public static Plan manage(DaemonSet ds, String hash, Map<String, DaemonPods.Placement> placements,
      Map<String, List<Pod>> nodeToDaemonPods, Predicate<String> mayReplaceFailed, Instant now) {
    boolean surge = usesSurge(ds);
    int minReady = minReadySeconds(ds);
    List<String> create = new ArrayList<>();
    List<Pod> delete = new ArrayList<>();
    for (Map.Entry<String, DaemonPods.Placement> e : placements.entrySet()) {
      String node = e.getKey();
      DaemonPods.Placement placement = e.getValue();
      List<Pod> pods = nodeToDaemonPods.getOrDefault(node, List.of());
      boolean exists = !pods.isEmpty();
      if (placement.shouldRun()) {
        if (!exists) {
          create.add(node);
          continue;
        }
        List<Pod> running = new ArrayList<>();
        for (Pod p : pods) {
          if (p.getMetadata().getDeletionTimestamp() != null) {
            continue;
          }
          String phase = PodConditions.phase(p);
          if (PodConditions.FAILED.equals(phase)) {
            if (mayReplaceFailed.test(node)) {
              delete.add(p); // the next sync creates its replacement
            }
          } else if (PodConditions.SUCCEEDED.equals(phase)) {
            delete.add(p); // a daemon that exited is not running: replace it
          } else {
            running.add(p);
          }
        }
        running.sort(OLDEST_FIRST);
        if (!surge) {
          for (int i = 1; i < running.size(); i++) {
            delete.add(running.get(i));
          }
          continue;
        }
        if (running.size() <= 1) {
          if (running.isEmpty() && placement.shouldContinueRunning()) {
            create.add(node); // with surge the replacement need not wait for the old pod to go
          }
          continue;
        }
        // With surge, an old and a new pod share the node only while the new one is not yet
        // available and the old one is ready; every other extra pod goes.
        Pod oldestNew = null;
        Pod oldestOld = null;
        for (Pod p : running) {
          if (hash.equals(DaemonPods.hashOf(p))) {
            if (oldestNew == null) {
              oldestNew = p;
              continue;
            }
          } else if (oldestOld == null) {
            oldestOld = p;
            continue;
          }
          delete.add(p);
        }
        if (oldestNew != null && oldestOld != null
            && (!PodConditions.isReady(oldestOld) || PodConditions.isAvailable(oldestNew, minReady, now))) {
          delete.add(oldestOld);
        }
      } else if (!placement.shouldContinueRunning() && exists) {
        for (Pod p : pods) {
          if (p.getMetadata().getDeletionTimestamp() == null) {
            delete.add(p);
          }
        }
      }
    }
    // Unbound pods aimed at a node that is gone will never be scheduled.
    for (Map.Entry<String, List<Pod>> e : nodeToDaemonPods.entrySet()) {
      if (placements.containsKey(e.getKey())) {
        continue;
      }
      for (Pod p : e.getValue()) {
        if (PodConditions.nodeName(p).isEmpty() && p.getMetadata().getDeletionTimestamp() == null) {
          delete.add(p);
        }
      }
    }
    return new Plan(create, delete);
  }

  /** The rolling update's budgets for this many desired nodes (updatedDesiredNodeCounts). */
  record Budget(int maxSurge, int maxUnavailable) {}

  static Budget budget(DaemonSet ds, int desired) {
    RollingUpdateDaemonSet rolling = ds.getSpec().getUpdateStrategy() == null ? null
        : ds.getSpec().getUpdateStrategy().getRollingUpdate();
    int unavailable = rolling == null ? 1 : scaled(rolling.getMaxUnavailable(), desired, 1);
    int surge = rolling == null ? 0 : scaled(rolling.getMaxSurge(), desired, 0);
    if (desired > 0 && unavailable == 0 && surge == 0) {
      unavailable = 1; // an impossible configuration obeys the default
    }
    return new Budget(surge, unavailable);
  }

  /** intstr.GetScaledValueFromIntOrPercent, rounding up. */
  static int scaled(Object intOrPercent, int total, int absent) {
    if (intOrPercent == null) {
      return absent;
    }
    if (intOrPercent instanceof Integer i) {
      return i;
    }
    String s = intOrPercent.toString();
    if (s.endsWith("%")) {
      try {
        long percent = Long.parseLong(s.substring(0, s.length() - 1));
        return (int) ((percent * total + 99) / 100);
      } catch (NumberFormatException e) {
        return absent;
      }
    }
    try {
      return Integer.parseInt(s);
    } catch (NumberFormatException e) {
      return absent;
    }
  }

  /**
   * rollingUpdate: which old pods to delete now (and, with maxSurge, which nodes get their new pod
   * next to the old one). A node whose daemon pod is missing, duplicated, or new but not yet
   * available counts against maxUnavailable; old pods that are not available may always be
   * replaced; with surge an old pod goes once its node's new pod is available.
   */
  public static Plan rollingUpdate(DaemonSet ds, String hash, Map<String, DaemonPods.Placement> placements,
      Map<String, List<Pod>> nodeToDaemonPods, Instant now) {
    int minReady = minReadySeconds(ds);
    Map<String, List<Pod>> byNode = new LinkedHashMap<>(nodeToDaemonPods);
    int desired = 0;
    for (Map.Entry<String, DaemonPods.Placement> e : placements.entrySet()) {
      if (e.getValue().shouldRun()) {
        desired++;
        byNode.putIfAbsent(e.getKey(), List.of());
      }
    }
    Budget budget = budget(ds, desired);
    if (budget.maxSurge() == 0) {
      int numUnavailable = 0;
      List<Pod> allowed = new ArrayList<>();
      List<Pod> candidates = new ArrayList<>();
      for (Map.Entry<String, List<Pod>> e : byNode.entrySet()) {
        OnNode on = OnNode.of(e.getValue(), hash);
        if (on == null) {
          numUnavailable++;
          continue;
        }
        if (on.oldPod() == null && on.newPod() == null || on.oldPod() != null && on.newPod() != null) {
          numUnavailable++; // manage creates or deletes here
        } else if (on.newPod() != null) {
          if (!PodConditions.isAvailable(on.newPod(), minReady, now)) {
            numUnavailable++;
          }
        } else if (!PodConditions.isAvailable(on.oldPod(), minReady, now)) {
          allowed.add(on.oldPod()); // not serving anyway: replace it now
        } else if (numUnavailable < budget.maxUnavailable()) {
          candidates.add(on.oldPod());
        }
      }
      int remaining = Math.max(0, Math.min(budget.maxUnavailable() - numUnavailable, candidates.size()));
      List<Pod> delete = new ArrayList<>(allowed);
      delete.addAll(candidates.subList(0, remaining));
      return new Plan(List.of(), delete);
    }
    int numSurge = 0;
    List<Pod> oldToDelete = new ArrayList<>();
    List<String> allowedNodes = new ArrayList<>();
    List<String> candidateNodes = new ArrayList<>();
    for (Map.Entry<String, List<Pod>> e : byNode.entrySet()) {
      OnNode on = OnNode.of(e.getValue(), hash);
      if (on == null) {
        numSurge++;
        continue;
      }
      DaemonPods.Placement placement = placements.get(e.getKey());
      if (placement == null || !placement.shouldRun()) {
        continue; // manage deletes pods where the daemon should not run
      }
      if (on.oldPod() == null) {
        continue; // manage creates the pod if there is none
      }
      if (on.newPod() == null) {
        if (!PodConditions.isAvailable(on.oldPod(), minReady, now)) {
          allowedNodes.add(e.getKey());
        } else if (numSurge < budget.maxSurge()) {
          candidateNodes.add(e.getKey());
        }
      } else if (!PodConditions.isAvailable(on.newPod(), minReady, now)) {
        numSurge++; // waiting for the new pod
      } else {
        oldToDelete.add(on.oldPod());
      }
    }
    int remaining = Math.max(0, Math.min(budget.maxSurge() - numSurge, candidateNodes.size()));
    List<String> create = new ArrayList<>(allowedNodes);
    create.addAll(candidateNodes.subList(0, remaining));
    return new Plan(create, oldToDelete);
  }

  /** findUpdatedPodsOnNode: the node's one new and one old pod (either may be null); null when there are duplicates. */
  record OnNode(Pod newPod, Pod oldPod) {
    static OnNode of(List<Pod> pods, String hash) {
      Pod newPod = null;
      Pod oldPod = null;
      for (Pod p : pods) {
        if (p.getMetadata().getDeletionTimestamp() != null) {
          continue;
        }
        if (hash.equals(DaemonPods.hashOf(p))) {
          if (newPod != null) {
            return null;
          }
          newPod = p;
        } else {
          if (oldPod != null) {
            return null;
          }
          oldPod = p;
        }
      }
      return new OnNode(newPod, oldPod);
    }
  }

  static boolean isRollingUpdate(DaemonSet ds) {
    DaemonSetUpdateStrategy s = ds.getSpec().getUpdateStrategy();
    return s == null || s.getType() == null || "RollingUpdate".equals(s.getType());
  }

  /** Surge only with RollingUpdate and a non-zero maxSurge (a percentage of nodes counts as non-zero). */
  static boolean usesSurge(DaemonSet ds) {
    DaemonSetUpdateStrategy s = ds.getSpec().getUpdateStrategy();
    if (!isRollingUpdate(ds) || s == null || s.getRollingUpdate() == null) {
      return false;
    }
    Object surge = s.getRollingUpdate().getMaxSurge();
    return surge != null && !surge.equals(0) && !"0%".equals(surge.toString()) && !"0".equals(surge.toString());
  }

  static int minReadySeconds(DaemonSet ds) {
    return ds.getSpec().getMinReadySeconds() == null ? 0 : ds.getSpec().getMinReadySeconds();
  }
}
