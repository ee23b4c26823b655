package io.capstan.controllers.podgc;

import io.capstan.api.Node;
import io.capstan.api.Pod;
import io.capstan.api.PodCondition;
import io.capstan.api.PodStatus;
import io.capstan.controllers.runtime.Controller;
import io.capstan.controllers.runtime.ObjectWriter;
import io.capstan.controllers.runtime.PodConditions;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.controllers.runtime.ReconcileResult;
import io.capstan.controllers.runtime.ShardAssignment;
import io.capstan.controllers.runtime.WorkQueue;
import io.capstan.controllers.runtime.WriteRejectedException;
import io.capstan.log.DeleteOptions;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.ResourceEventHandler;
import io.capstan.stateviews.informer.SharedInformers;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * kube-controller-manager's pod garbage collector (PodGC). Every {@code checkPeriod} (and soon
 * after a node is deleted or a pod finishes) it looks through every pod ({@link PodGcPlan}) and
 * force-deletes (grace period 0) the terminated pods beyond the threshold, the pods of nodes gone
 * for the whole quarantine, the terminating pods of out-of-service nodes and the terminating pods
 * never scheduled. A pod not finished yet is first marked {@code Failed} (with, for an orphan, the
 * {@code DisruptionTarget} condition {@code DeletionByPodGC}: "PodGC: node no longer exists"), as
 * no kubelet will ever say how it ended.
 *
 * <p>The whole pass is one work item, so a sharded controller-manager runs it on exactly one
 * instance: the one whose partitions hold the item's key.
 */
public final class PodGarbageCollector implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PodGarbageCollector.class);
  public static final String NAME = "podgc";
  /** The one work item: a whole pass. */
  static final String KEY = "Pod//" + NAME;
  static final String DISRUPTION_TARGET = "DisruptionTarget";
  static final String DELETION_BY_POD_GC = "DeletionByPodGC";
  /** Changes that may give the collector something to do are looked at after this, not at once: passes batch. */
  private static final Duration SOON = Duration.ofMillis(500);

  private final Informer<Pod> pods;
  private final Informer<Node> nodes;
  private final ObjectWriter writer;
  private final Clock clock;
  private final PodGcConfig config;
  private final WorkQueue queue;
  private final Controller controller;
  private final PodGcPlan.MissingNodes missingNodes;
  private final Map<PodGcPlan.Reason, Counter> deletes = new EnumMap<>(PodGcPlan.Reason.class);
  private final Counter errors;
  /** Terminated pods in the cache, kept by the handlers: a pod finishing beyond the threshold brings the pass forward. */
  private final java.util.concurrent.atomic.AtomicInteger terminated = new java.util.concurrent.atomic.AtomicInteger();

  public PodGarbageCollector(SharedInformers informers, ObjectWriter writer, Clock clock, PodGcConfig config,
      MeterRegistry registry) {
    this.pods = informers.informerFor(Kinds.POD, Pod.class);
    this.nodes = informers.informerFor(Kinds.NODE, Node.class);
    this.writer = Objects.requireNonNull(writer, "writer");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.config = Objects.requireNonNull(config, "config");
    this.missingNodes = new PodGcPlan.MissingNodes(config.quarantine());
    this.queue = WorkQueue.withDefaultRateLimiter(NAME, registry);
    this.controller = new Controller(NAME, queue, this::reconcile, 1, registry);
    for (PodGcPlan.Reason r : PodGcPlan.Reason.values()) {
      deletes.put(r, Counter.builder("capstan.controller.podgc.force.deletes")
          .description("Pods the pod garbage collector force-deleted, by reason").tag("controller", NAME)
          .tag("reason", r.label).register(registry));
    }
    this.errors = Counter.builder("capstan.controller.podgc.force.delete.errors")
        .description("Force deletes (or the Failed marks before them) of the pod garbage collector that failed")
        .tag("controller", NAME).register(registry);
  }

  public void shardBy(ShardAssignment shard) {
    controller.shardBy(shard, () -> List.of(KEY));
  }

  public void start() {
    log.info("pod garbage collector starting: terminated-pod threshold {}, every {}, node quarantine {}",
        config.terminatedPodThreshold() > 0 ? config.terminatedPodThreshold() : "off", config.checkPeriod(),
        config.quarantine());
    nodes.addHandler(new ResourceEventHandler<>() {
      @Override
      public void onDelete(Node n) {
        queue.addAfter(KEY, SOON);
      }
    });
    pods.addHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Pod p) {
        changed(null, p);
      }

      @Override
      public void onUpdate(Pod old, Pod p) {
        changed(old, p);
      }

      @Override
      public void onDelete(Pod p) {
        if (PodGcPlan.isTerminated(p)) {
          terminated.decrementAndGet();
        }
      }
    });
    controller.start();
    queue.add(KEY);
  }

  /** A pod that just finished, or is being deleted unscheduled, may be due; the next pass picks it up soon. */
  private void changed(Pod old, Pod p) {
    boolean was = old != null && PodGcPlan.isTerminated(old);
    boolean is = PodGcPlan.isTerminated(p);
    int count = is == was ? terminated.get() : is ? terminated.incrementAndGet() : terminated.decrementAndGet();
    boolean beyond = is && !was && config.terminatedPodThreshold() > 0 && count > config.terminatedPodThreshold();
    boolean unscheduledTerminating = p.getMetadata().getDeletionTimestamp() != null
        && PodConditions.nodeName(p).isEmpty();
    if (beyond || unscheduledTerminating) {
      queue.addAfter(KEY, SOON);
    }
  }

  @Override
  public void close() {
    controller.close();
  }

  ReconcileResult reconcile(String key) throws Exception {
    Instant now = clock.instant();
    List<Pod> all = pods.list();
    List<Node> allNodes = nodes.list();
    Set<String> gone = missingNodes.gone(all, allNodes, now);
    Map<Pod, PodGcPlan.Reason> plan = PodGcPlan.plan(all, allNodes, gone, config.terminatedPodThreshold());
    if (!plan.isEmpty()) {
      log.info("pod garbage collector: force-deleting {} pod(s): {}", plan.size(), summary(plan));
    }
    List<CompletableFuture<CommandResult>> pending = new ArrayList<>();
    List<Map.Entry<Pod, PodGcPlan.Reason>> deleting = new ArrayList<>();
    for (Map.Entry<Pod, PodGcPlan.Reason> e : plan.entrySet()) {
      Pod pod = e.getKey();
      try {
        markFailed(pod, e.getValue());
      } catch (WriteRejectedException x) {
        if (!x.isNotFound()) {
          errors.increment();
          log.info("pod garbage collector: marking pod {}/{} Failed was refused: {}", pod.getMetadata().getNamespace(),
              pod.getMetadata().getName(), x.getMessage());
        }
        continue; // gone already, or changed meanwhile: the next pass sees it again
      }
      pending.add(writer.deleteAsync(Kinds.POD, pod.getMetadata().getNamespace(), pod.getMetadata().getName(),
          DeleteOptions.newBuilder().setGracePeriodSeconds(0L).setPreconditionUid(pod.getMetadata().getUid()).build()));
      deleting.add(e);
    }
    for (int i = 0; i < pending.size(); i++) {
      Pod pod = deleting.get(i).getKey();
      String name = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
      try {
        writer.await("force delete of pod " + name, pending.get(i));
        deletes.get(deleting.get(i).getValue()).increment();
      } catch (WriteRejectedException x) {
        if (!x.isNotFound() && !x.isConflict()) { // gone, or a new pod of that name
          errors.increment();
          log.info("pod garbage collector: force delete of pod {} was refused: {}", name, x.getMessage());
        }
      } catch (IllegalStateException x) {
        errors.increment();
        log.warn("pod garbage collector: force delete of pod {} failed: {}", name, x.getMessage());
      }
    }
    Duration next = config.checkPeriod();
    Instant expiry = missingNodes.nextExpiry(now).orElse(null);
    if (expiry != null) {
      Duration untilExpiry = Duration.between(clock.instant(), expiry).plusMillis(10);
      if (untilExpiry.compareTo(next) < 0) {
        next = untilExpiry.isNegative() ? Duration.ZERO : untilExpiry;
      }
    }
    return ReconcileResult.requeueAfter(next);
  }

  /**
   * markFailedAndDeletePodWithCondition's first half: a pod not finished is marked Failed (no
   * kubelet will), with the orphan's DisruptionTarget condition.
   */
  private void markFailed(Pod pod, PodGcPlan.Reason reason) throws WriteRejectedException, InterruptedException {
    String phase = PodConditions.phase(pod);
    if (PodConditions.SUCCEEDED.equals(phase) || PodConditions.FAILED.equals(phase)) {
      return;
    }
    Pod marked = PodTemplates.copy(pod);
    PodStatus status = marked.getStatus() == null ? PodStatus.newBuilder().build() : marked.getStatus();
    status.setPhase(PodConditions.FAILED);
    if (reason == PodGcPlan.Reason.ORPHANED) {
      List<PodCondition> conditions = status.getConditions() == null ? new ArrayList<>()
          : new ArrayList<>(status.getConditions());
      conditions.removeIf(c -> DISRUPTION_TARGET.equals(c.getType()));
      conditions.add(PodCondition.newBuilder().setType(DISRUPTION_TARGET).setStatus("True")
          .setReason(DELETION_BY_POD_GC).setMessage("PodGC: node no longer exists")
          .setLastTransitionTime(clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString())
          .build());
      status.setConditions(conditions);
    }
    marked.setStatus(status);
    writer.updateStatus(marked);
  }

  private static String summary(Map<Pod, PodGcPlan.Reason> plan) {
    Map<String, Integer> counts = new java.util.TreeMap<>();
    plan.values().forEach(r -> counts.merge(r.label, 1, Integer::sum));
    return counts.toString();
  }
}
