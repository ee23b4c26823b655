package io.capstan.controllers.rbac;

import io.capstan.api.ClusterRole;
import io.capstan.api.PolicyRule;
import io.capstan.controllers.runtime.Controller;
import io.capstan.controllers.runtime.ObjectWriter;
import io.capstan.controllers.runtime.ReconcileResult;
import io.capstan.controllers.runtime.ShardAssignment;
import io.capstan.controllers.runtime.WorkQueue;
import io.capstan.controllers.runtime.WriteRejectedException;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.ResourceEventHandler;
import io.capstan.stateviews.informer.SharedInformers;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * kube-controller-manager's clusterrole-aggregation controller: a ClusterRole with an
 * {@code aggregationRule} holds the union of the rules of the ClusterRoles its selectors pick
 * ({@link AggregatedRules}); any ClusterRole that changes enqueues every aggregated one, since a
 * label or a rule anywhere may change what they collect.
 */
public final class ClusterRoleAggregationController implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ClusterRoleAggregationController.class);
  public static final String NAME = "clusterrole-aggregation";

  private final Informer<ClusterRole> roles;
  private final ObjectWriter writer;
  private final WorkQueue queue;
  private final Controller controller;

  public ClusterRoleAggregationController(SharedInformers informers, ObjectWriter writer, int workers,
      MeterRegistry registry) {
    this.roles = informers.informerFor(Kinds.CLUSTER_ROLE, ClusterRole.class);
    this.writer = Objects.requireNonNull(writer, "writer");
    this.queue = WorkQueue.withDefaultRateLimiter(NAME, registry);
    this.controller = new Controller(NAME, queue, this::reconcile, workers, registry);
  }

  public void shardBy(ShardAssignment shard) {
    controller.shardBy(shard, roles::keys);
  }

  public void start() {
    roles.addHandler(ResourceEventHandler.onAny((ClusterRole role) -> enqueueAggregated()));
    controller.start();
  }

  private void enqueueAggregated() {
    for (ClusterRole r : roles.list()) {
      if (r.getAggregationRule() != null) {
        queue.add(key(r.getMetadata().getName()));
      }
    }
  }

  static String key(String name) {
    return Kinds.CLUSTER_ROLE.kind() + "//" + name;
  }

  ReconcileResult reconcile(String key) throws Exception {
    String name = key.substring(key.lastIndexOf('/') + 1);
    Optional<ClusterRole> found = roles.get("", name);
    if (found.isEmpty()) {
      return ReconcileResult.done();
    }
    ClusterRole role = found.get();
    List<PolicyRule> wanted = AggregatedRules.of(role, roles.list());
    if (wanted == null || wanted.equals(role.getRules() == null ? List.of() : role.getRules())) {
      return ReconcileResult.done();
    }
    ClusterRole updated = ClusterRole.newBuilder(role).build();
    updated.setRules(wanted);
    try {
      writer.update(updated);
      log.info("aggregated ClusterRole {}: {} rules", name, wanted.size());
    } catch (WriteRejectedException e) {
      if (!e.isConflict() && !e.isNotFound()) {
        throw e;
      }
      if (e.isConflict()) {
        queue.add(key); // changed meanwhile: the newer one is computed again
      }
    }
    return ReconcileResult.done();
  }

  @Override
  public void close() {
    controller.close();
  }
}
