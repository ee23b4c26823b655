package io.capstan.loadtests.controllers;

import io.capstan.api.Pod;
import io.capstan.api.PodCondition;
import io.capstan.api.PodStatus;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandResult;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.ResourceEventHandler;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * Plays kubelet for pods no node runs: every new pod the informer shows (and the filter accepts)
 * gets one status update to phase Running with a Ready condition, as a node agent reports a
 * started pod. Pods are not bound: an unbound pod is deleted at once when its ReplicaSet scales
 * down (Kubernetes' graceful deletion only waits for pods on a node), so the rollout needs no
 * stand-in for the kubelet's delete either. At most {@code maxInFlight} updates are unanswered;
 * a conflict (the ReplicaSet controller changed the pod meanwhile) or a lost answer retries from
 * the cache's newer copy.
 */
final class StandInKubelet implements AutoCloseable {
  private final Informer<Pod> pods;
  private final CommandClient client;
  private final Predicate<Pod> ours;
  private final Semaphore window;
  private final LinkedBlockingQueue<String> pending = new LinkedBlockingQueue<>();
  /** Keys queued or in flight: a pod's updates are never concurrent and never queued twice. */
  private final Set<String> queued = ConcurrentHashMap.newKeySet();
  private final AtomicLong madeReady = new AtomicLong();
  private final AtomicLong retries = new AtomicLong();
  private final Thread sender;
  private volatile boolean stopped;
  private volatile String firstError;

  StandInKubelet(Informer<Pod> pods, CommandClient client, Predicate<Pod> ours, int maxInFlight) {
    if (maxInFlight < 1) {
      throw new IllegalArgumentException("--ready-in-flight must be at least 1, got " + maxInFlight);
    }
    this.pods = pods;
    this.client = client;
    this.ours = ours;
    this.window = new Semaphore(maxInFlight);
    this.sender = new Thread(this::sendLoop, "bench-kubelet");
    this.sender.setDaemon(true);
    pods.addHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Pod p) {
        offer(p);
      }

      @Override
      public void onUpdate(Pod old, Pod p) {
        offer(p);
      }
    });
  }

  void start() {
    sender.start();
  }

  /** Pods this stand-in has made Running and Ready. */
  long madeReady() {
    return madeReady.get();
  }

  /** Status updates sent again after a conflict or a lost answer. */
  long retries() {
    return retries.get();
  }

  /** Pods waiting for their status update or with one in flight. */
  int backlog() {
    return queued.size();
  }

  String firstError() {
    return firstError;
  }

  private void offer(Pod p) {
    if (needsStatus(p) && queued.add(key(p))) {
      pending.add(key(p));
    }
  }

  private boolean needsStatus(Pod p) {
    return p.getMetadata().getDeletionTimestamp() == null && ours.test(p) && !isRunningAndReady(p);
  }

  static boolean isRunningAndReady(Pod p) {
    PodStatus s = p.getStatus();
    return s != null && "Running".equals(s.getPhase()) && s.getConditions() != null
        && s.getConditions().stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private static String key(Pod p) {
    return p.getMetadata().getNamespace() + "/" + p.getMetadata().getName();
  }

  private void sendLoop() {
    while (!stopped) {
      String key;
      try {
        key = pending.poll(200, TimeUnit.MILLISECONDS);
        if (key == null) {
          continue;
        }
        window.acquire();
      } catch (InterruptedException e) {
        return;
      }
      String[] nsName = key.split("/", 2);
      Pod cached = pods.get(nsName[0], nsName[1]).orElse(null);
      if (cached == null || !needsStatus(cached)) {
        window.release();
        queued.remove(key);
        continue;
      }
      Pod running = Pod.newBuilder(cached).build();
      String now = Instant.now().toString();
      running.setStatus(PodStatus.newBuilder(cached.getStatus() == null ? PodStatus.newBuilder().build() : cached.getStatus())
          .setPhase("Running")
          .setStartTime(now)
          .setConditions(List.of(
              PodCondition.newBuilder().setType("Initialized").setStatus("True").setLastTransitionTime(now).build(),
              PodCondition.newBuilder().setType("ContainersReady").setStatus("True").setLastTransitionTime(now).build(),
              PodCondition.newBuilder().setType("Ready").setStatus("True").setLastTransitionTime(now).build()))
          .build());
      client.updateStatus(running).whenComplete((r, err) -> {
        window.release();
        queued.remove(key);
        if (r instanceof CommandResult.Accepted) {
          madeReady.incrementAndGet();
          return;
        }
        if (r instanceof CommandResult.Rejected rej && rej.status().getCode() == 404) {
          return; // deleted meanwhile (a scale-down): nothing left to start
        }
        if (firstError == null && !(r instanceof CommandResult.Rejected rej && rej.status().getCode() == 409)) {
          firstError = err != null ? err.toString() : ((CommandResult.Rejected) r).status().getMessage();
        }
        // a conflict: the informer brings the newer pod, whose update event offers it again; a
        // lost answer: look again from the cache
        retries.incrementAndGet();
        pods.get(nsName[0], nsName[1]).ifPresent(this::offer);
      });
    }
  }

  @Override
  public void close() {
    stopped = true;
    sender.interrupt();
  }
}
