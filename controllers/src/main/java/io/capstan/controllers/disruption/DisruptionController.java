package io.capstan.controllers.disruption;

import io.capstan.api.Deployment;
import io.capstan.api.Job;
import io.capstan.api.OwnerReference;
import io.capstan.api.Pod;
import io.capstan.api.PodDisruptionBudget;
import io.capstan.api.ReplicaSet;
import io.capstan.controllers.runtime.Controller;
import io.capstan.controllers.runtime.ObjectWriter;
import io.capstan.controllers.runtime.OwnerRefs;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.controllers.runtime.ReconcileResult;
import io.capstan.controllers.runtime.ShardAssignment;
import io.capstan.controllers.runtime.WorkQueue;
import io.capstan.controllers.runtime.WriteRejectedException;
import io.capstan.logschema.disruption.DisruptionBudgets;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.ResourceEventHandler;
import io.capstan.stateviews.informer.SharedInformers;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * kube-controller-manager's disruption controller: for each PodDisruptionBudget, its pods (those
 * of its namespace its selector matches; an empty selector matches them all, a missing one none),
 * and the status {@link BudgetStatus} computes from them, written through the status subresource
 * at the version it was computed from. A budget is looked at again when it changes, when one of
 * its pods does, when a ReplicaSet, Deployment or Job of its namespace changes scale, and when an
 * eviction it recorded reaches its deadline.
 *
 * <p>Scales: a pod of a ReplicaSet counts its ReplicaSet's replicas, or its Deployment's when the
 * ReplicaSet has one (kube's finders); a Job's pod counts the Job's parallelism (kube finds no
 * scale for Jobs and fails the sync; parallelism is what a Job keeps running).
 */
public final class DisruptionController implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DisruptionController.class);
  public static final String NAME = "disruption";

  private final Informer<PodDisruptionBudget> budgets;
  private final Informer<Pod> pods;
  private final Informer<ReplicaSet> replicaSets;
  private final Informer<Deployment> deployments;
  private final Informer<Job> jobs;
  private final ObjectWriter writer;
  private final Clock clock;
  private final WorkQueue queue;
  private final Controller controller;

  public DisruptionController(SharedInformers informers, ObjectWriter writer, Clock clock, int workers,
      MeterRegistry registry) {
    this.budgets = informers.informerFor(Kinds.POD_DISRUPTION_BUDGET, PodDisruptionBudget.class);
    this.pods = informers.informerFor(Kinds.POD, Pod.class);
    this.replicaSets = informers.informerFor(Kinds.REPLICA_SET, ReplicaSet.class);
    this.deployments = informers.informerFor(Kinds.DEPLOYMENT, Deployment.class);
    this.jobs = informers.informerFor(Kinds.JOB, Job.class);
    this.writer = Objects.requireNonNull(writer, "writer");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.queue = WorkQueue.withDefaultRateLimiter(NAME, registry);
    this.controller = new Controller(NAME, queue, this::reconcile, workers, registry);
  }

  public void shardBy(ShardAssignment shard) {
    controller.shardBy(shard, budgets::keys);
  }

  public void start() {
    log.info("disruption controller starting");
    budgets.addHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(PodDisruptionBudget pdb) {
        queue.add(key(pdb));
      }

      @Override
      public void onUpdate(PodDisruptionBudget old, PodDisruptionBudget pdb) {
        queue.add(key(pdb));
      }
    });
    pods.addHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Pod p) {
        budgetsOf(p, null);
      }

      @Override
      public void onUpdate(Pod old, Pod p) {
        budgetsOf(p, old);
      }

      @Override
      public void onDelete(Pod p) {
        budgetsOf(p, null);
      }
    });
    replicaSets.addHandler(scaleChanges(rs -> rs.getMetadata().getNamespace(),
        rs -> rs.getSpec() == null ? null : rs.getSpec().getReplicas()));
    deployments.addHandler(scaleChanges(d -> d.getMetadata().getNamespace(),
        d -> d.getSpec() == null ? null : d.getSpec().getReplicas()));
    jobs.addHandler(scaleChanges(j -> j.getMetadata().getNamespace(),
        j -> j.getSpec() == null ? null : j.getSpec().getParallelism()));
    controller.start();
  }

  @Override
  public void close() {
    controller.close();
  }

  static String key(PodDisruptionBudget pdb) {
    return OwnerRefs.key(Kinds.POD_DISRUPTION_BUDGET, pdb.getMetadata());
  }

  /** Queues the budgets that select the pod as it is or as it was (a relabelled pod leaves one budget). */
  private void budgetsOf(Pod p, Pod old) {
    for (PodDisruptionBudget pdb : budgets.list(p.getMetadata().getNamespace())) {
      if (selects(pdb, p) || (old != null && selects(pdb, old))) {
        queue.add(key(pdb));
      }
    }
  }

  /** The controller's pods: an empty selector selects every pod of the namespace, a missing one none. */
  static boolean selects(PodDisruptionBudget pdb, Pod p) {
    return pdb.getSpec() != null && DisruptionBudgets.matches(pdb.getSpec().getSelector(), p.getMetadata().getLabels());
  }

  /** A workload whose scale changed queues its namespace's budgets: their expected counts may follow it. */
  private <T> ResourceEventHandler<T> scaleChanges(java.util.function.Function<T, String> namespace,
      java.util.function.Function<T, Integer> scale) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T w) {
        all(namespace.apply(w));
      }

      @Override
      public void onUpdate(T old, T w) {
        if (!Objects.equals(scale.apply(old), scale.apply(w))) {
          all(namespace.apply(w));
        }
      }

      @Override
      public void onDelete(T w) {
        all(namespace.apply(w));
      }

      private void all(String ns) {
        for (PodDisruptionBudget pdb : budgets.list(ns)) {
          queue.add(key(pdb));
        }
      }
    };
  }

  ReconcileResult reconcile(String key) throws Exception {
    String[] parts = key.split("/", 3);
    Optional<PodDisruptionBudget> found = budgets.get(parts[1], parts[2]);
    if (found.isEmpty() || found.get().getMetadata().getDeletionTimestamp() != null) {
      return ReconcileResult.done();
    }
    PodDisruptionBudget pdb = found.get();
    List<Pod> selected = pods.list(parts[1]).stream().filter(p -> selects(pdb, p)).toList();
    Instant now = clock.instant();
    BudgetStatus.Outcome outcome = BudgetStatus.compute(pdb, selected, this::scaleOf, now);
    outcome.failure().ifPresent(f -> log.warn("disruption budget {}: {}", key, f));
    if (!outcome.status().equals(pdb.getStatus())) {
      PodDisruptionBudget updated = PodTemplates.copy(pdb);
      updated.setStatus(outcome.status());
      try {
        writer.updateStatus(updated);
      } catch (WriteRejectedException e) {
        if (e.isNotFound()) {
          return ReconcileResult.done();
        }
        throw e; // a conflict: the cache was behind (an eviction wrote the budget); retried with backoff
      }
    }
    if (outcome.recheckAt().isPresent()) {
      Duration wait = Duration.between(now, outcome.recheckAt().get());
      return ReconcileResult.requeueAfter(wait.isNegative() ? Duration.ZERO : wait);
    }
    return ReconcileResult.done();
  }

  /** kube's finders: ReplicaSet (its Deployment's scale when it has one), and Job (its parallelism). */
  private Optional<BudgetStatus.Scale> scaleOf(OwnerReference ref, String namespace) {
    switch (ref.getKind()) {
      case "ReplicaSet" -> {
        Optional<ReplicaSet> rs = replicaSets.get(namespace, ref.getName())
            .filter(r -> ref.getUid().equals(r.getMetadata().getUid()));
        if (rs.isEmpty()) {
          return Optional.empty();
        }
        Optional<OwnerReference> owner = OwnerRefs.controllerOf(rs.get().getMetadata())
            .filter(o -> o.getKind().equals("Deployment"));
        if (owner.isPresent()) {
          return deployments.get(namespace, owner.get().getName())
              .filter(d -> owner.get().getUid().equals(d.getMetadata().getUid()))
              .map(d -> new BudgetStatus.Scale(d.getMetadata().getUid(), replicas(d.getSpec() == null ? null
                  : d.getSpec().getReplicas())));
        }
        return Optional.of(new BudgetStatus.Scale(rs.get().getMetadata().getUid(),
            replicas(rs.get().getSpec() == null ? null : rs.get().getSpec().getReplicas())));
      }
      case "Job" -> {
        return jobs.get(namespace, ref.getName()).filter(j -> ref.getUid().equals(j.getMetadata().getUid()))
            .map(j -> new BudgetStatus.Scale(j.getMetadata().getUid(), replicas(j.getSpec() == null ? null
                : j.getSpec().getParallelism())));
      }
      default -> {
        return Optional.empty();
      }
    }
  }

  /** A replica count left out defaults to 1, as the workload kinds' defaulting sets it. */
  private static int replicas(Integer n) {
    return n == null ? 1 : n;
  }
}
