package io.capstan.scheduler.service;

import io.capstan.api.PersistentVolumeClaim;
import io.capstan.logschema.storage.VolumeClaims;
import io.capstan.logschema.threads.Housekeeping;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.ResourceEventHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;

/**
 * The wait of VolumeBinding's PreBind (kube's BindPodVolumes): after the scheduler has named the
 * node on a pod's unbound claims, the pod is bound only once every one of them is Bound. Driven by
 * the claim informer's events (no polling); each wait ends with {@code null} (all Bound) or kube's
 * error: the bind timeout, a claim deleted, or the provisioner removing
 * {@code volume.kubernetes.io/selected-node} to ask for another node. Pods without such claims
 * never come here.
 */
final class ClaimWaits implements ResourceEventHandler<PersistentVolumeClaim> {
  static final String TIMED_OUT = "binding volumes: timed out waiting for the condition";

  private final Informer<PersistentVolumeClaim> claims;
  private final Housekeeping timer;
  /** namespace/claim → the waits that name it. */
  private final Map<String, List<Wait>> byClaim = new ConcurrentHashMap<>();

  ClaimWaits(Informer<PersistentVolumeClaim> claims, Housekeeping timer) {
    this.claims = claims;
    this.timer = timer;
  }

  /** The claims of {@code names} not Bound yet: the ones PreBind waits for (none for bound or Immediate ones). */
  List<String> unbound(String namespace, List<String> names) {
    List<String> out = new ArrayList<>();
    for (String name : names) {
      Optional<PersistentVolumeClaim> c = claims.get(namespace, name);
      if (c.isPresent() && !bound(c.get())) {
        out.add(name);
      }
    }
    return out;
  }

  /** Completes with null once every claim is Bound, or with the reason the pod must not be bound. */
  CompletableFuture<String> await(String namespace, List<String> names, Duration timeout) {
    Wait w = new Wait(new HashSet<>(names));
    if (names.isEmpty()) {
      w.result.complete(null);
      return w.result;
    }
    for (String name : names) {
      byClaim.computeIfAbsent(key(namespace, name), k -> new CopyOnWriteArrayList<>()).add(w);
    }
    ScheduledFuture<?> deadline = timer.after(timeout, () -> w.result.complete(TIMED_OUT));
    w.result.whenComplete((r, e) -> {
      deadline.cancel(false);
      for (String name : names) {
        byClaim.computeIfPresent(key(namespace, name), (k, list) -> {
          list.remove(w);
          return list.isEmpty() ? null : list;
        });
      }
    });
    // Registered first, checked second: an event in between is not missed.
    for (String name : names) {
      w.check(name, claims.get(namespace, name).orElse(null));
    }
    return w.result;
  }

  int waiting() {
    return byClaim.size();
  }

  @Override
  public void onAdd(PersistentVolumeClaim claim) {
    changed(claim, claim);
  }

  @Override
  public void onUpdate(PersistentVolumeClaim old, PersistentVolumeClaim claim) {
    changed(claim, claim);
  }

  @Override
  public void onDelete(PersistentVolumeClaim claim) {
    changed(claim, null);
  }

  private void changed(PersistentVolumeClaim any, PersistentVolumeClaim now) {
    if (byClaim.isEmpty()) {
      return;
    }
    String ns = any.getMetadata().getNamespace();
    String name = any.getMetadata().getName();
    List<Wait> waits = byClaim.get(key(ns, name));
    if (waits != null) {
      for (Wait w : waits) {
        w.check(name, now);
      }
    }
  }

  static boolean bound(PersistentVolumeClaim c) {
    return c.getStatus() != null && VolumeClaims.BOUND.equals(c.getStatus().getPhase());
  }

  private static String key(String namespace, String name) {
    return namespace + "/" + name;
  }

  /** One pod's wait: the claims still not Bound, and those seen carrying the selected node. */
  private static final class Wait {
    final Set<String> pending;
    final Set<String> selected = new HashSet<>();
    final CompletableFuture<String> result = new CompletableFuture<>();

    Wait(Set<String> pending) {
      this.pending = pending;
    }

    synchronized void check(String name, PersistentVolumeClaim claim) {
      if (result.isDone() || !pending.contains(name)) {
        return;
      }
      if (claim == null) {
        result.complete("binding volumes: failed to check provisioning pvc: persistentvolumeclaim \"" + name + "\" not found");
        return;
      }
      if (bound(claim)) {
        pending.remove(name);
        if (pending.isEmpty()) {
          result.complete(null);
        }
        return;
      }
      boolean unbound = claim.getSpec() == null || claim.getSpec().getVolumeName() == null
          || claim.getSpec().getVolumeName().isEmpty();
      if (VolumeClaims.annotation(claim.getMetadata(), VolumeClaims.SELECTED_NODE).isPresent()) {
        selected.add(name);
      } else if (unbound && selected.contains(name)) {
        // The provisioner gave up on the node and asks the scheduler to choose again.
        result.complete("binding volumes: selectedNode annotation reset for PVC \"" + name + "\"");
      }
    }
  }
}
