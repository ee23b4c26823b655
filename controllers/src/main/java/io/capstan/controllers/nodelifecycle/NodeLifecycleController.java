package io.capstan.controllers.nodelifecycle;

import io.capstan.api.Lease;
import io.capstan.api.Node;
import io.capstan.api.NodeSpec;
import io.capstan.api.NodeStatus;
import io.capstan.api.Pod;
import io.capstan.api.PodCondition;
import io.capstan.api.PodStatus;
import io.capstan.api.Taint;
import io.capstan.controllers.runtime.Controller;
import io.capstan.controllers.runtime.EventRecorder;
import io.capstan.controllers.runtime.ObjectWriter;
import io.capstan.controllers.runtime.PodConditions;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.controllers.runtime.ReconcileResult;
import io.capstan.controllers.runtime.ShardAssignment;
import io.capstan.controllers.runtime.WorkQueue;
import io.capstan.controllers.runtime.WriteRejectedException;
import io.capstan.log.DeleteOptions;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.Indexes;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.ResourceEventHandler;
import io.capstan.stateviews.informer.SharedInformers;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes' node lifecycle controller together with its taint-eviction controller, reconciling
 * one Node at a time (the key is the Node's; a node's pods are handled with it):
 * <ol>
 *   <li><b>Health</b>: the node's Lease in {@code kube-node-lease} (renewed every 10 s) and its
 *       Ready heartbeat are watched; when neither moved for the grace period (40 s by default),
 *       Ready, MemoryPressure, DiskPressure and PIDPressure are posted Unknown
 *       ("Kubelet stopped posting node status.") and a {@code NodeNotReady} Event is recorded.
 *       Instead of a 5 s polling loop, each node is requeued for the moment its grace runs out.</li>
 *   <li><b>Taints</b>: the condition taints ({@link NodeTaints}): {@code NoSchedule} ones by
 *       condition, and {@code unreachable:NoExecute} / {@code not-ready:NoExecute} while Ready is
 *       Unknown / False, removed when it is True again.</li>
 *   <li><b>Pods</b>: on a node whose Ready is Unknown (or just turned False) the pods' Ready
 *       condition is set False (MarkPodsNotReady), so Endpoints stop sending them traffic; pods
 *       that do not tolerate the node's NoExecute taints are deleted at once, those that tolerate
 *       them for {@code tolerationSeconds} when the seconds are up ({@link TaintEviction}), after a
 *       {@code DisruptionTarget} condition and a {@code TaintManagerEviction} Event.</li>
 * </ol>
 * Not reproduced: the per-zone eviction rate limits and the "whole zone down" stop (the node
 * lifecycle controller's zone states), and the DaemonSet-specific skips.
 */
public final class NodeLifecycleController implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeLifecycleController.class);
  public static final String NAME = "node-lifecycle";
  /** kube-controller-manager's event sources: the node controller and the taint-eviction controller. */
  static final String NODE_CONTROLLER = "node-controller";
  static final String TAINT_EVICTION_CONTROLLER = "taint-eviction-controller";
  public static final String LEASE_NAMESPACE = "kube-node-lease";
  static final String DISRUPTION_TARGET = "DisruptionTarget";
  static final String DELETION_BY_TAINT_MANAGER = "DeletionByTaintManager";
  /** A little past the grace deadline, so the requeued reconcile sees it expired. */
  private static final Duration DEADLINE_SLACK = Duration.ofMillis(20);

  private final Informer<Node> nodes;
  private final Informer<Lease> leases;
  private final Informer<Pod> pods;
  private final ObjectWriter writer;
  private final Clock clock;
  private final NodeLifecycleConfig config;
  private final NodeHealth health;
  private final EventRecorder nodeEvents;
  private final EventRecorder evictionEvents;
  private final WorkQueue queue;
  private final Controller controller;
  private final Counter evictions;
  private final Counter markedUnknown;
  /** Pod uid → when a pod on a tainted node was first seen, for taints without timeAdded (the timed queue's CreatedAt). */
  private final Map<String, Instant> scheduled = new ConcurrentHashMap<>();

  public NodeLifecycleController(SharedInformers informers, ObjectWriter writer, Clock clock, NodeLifecycleConfig config,
      int workers, MeterRegistry registry) {
    this.nodes = informers.informerFor(Kinds.NODE, Node.class);
    this.leases = informers.informerFor(Kinds.LEASE, Lease.class);
    this.pods = informers.informerFor(Kinds.POD, Pod.class);
    this.writer = Objects.requireNonNull(writer, "writer");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.config = Objects.requireNonNull(config, "config");
    this.health = new NodeHealth(config);
    this.nodeEvents = new EventRecorder(writer, NODE_CONTROLLER, clock);
    this.evictionEvents = new EventRecorder(writer, TAINT_EVICTION_CONTROLLER, clock);
    this.queue = WorkQueue.withDefaultRateLimiter(NAME, registry);
    this.controller = new Controller(NAME, queue, this::reconcile, workers, registry);
    this.evictions = Counter.builder("capstan.controller.taint.evictions")
        .description("Pods deleted because of NoExecute taints they do not tolerate (any longer)")
        .tag("controller", NAME).register(registry);
    this.markedUnknown = Counter.builder("capstan.controller.node.status.unknown")
        .description("Nodes marked Ready=Unknown after their grace period without a heartbeat")
        .tag("controller", NAME).register(registry);
    Gauge.builder("capstan.controller.unhealthy.nodes", this, NodeLifecycleController::unhealthyNodes)
        .description("Nodes in the cache whose Ready condition is not True").tag("controller", NAME)
        .register(registry);
  }

  public void shardBy(ShardAssignment shard) {
    controller.shardBy(shard, nodes::keys);
  }

  public void start() {
    log.info("node lifecycle controller starting: node monitor grace period {}, startup grace period {}",
        config.monitorGracePeriod(), config.startupGracePeriod());
    nodes.addHandler(ResourceEventHandler.onAny((Node n) -> queue.add(key(n.getMetadata().getName()))));
    leases.addHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Lease l) {
        enqueueNodeOf(l);
      }

      @Override
      public void onUpdate(Lease old, Lease l) {
        enqueueNodeOf(l);
      }
    });
    pods.addHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Pod p) {
        podChanged(null, p);
      }

      @Override
      public void onUpdate(Pod old, Pod p) {
        podChanged(old, p);
      }

      @Override
      public void onDelete(Pod p) {
        scheduled.remove(p.getMetadata().getUid());
      }
    });
    controller.start();
  }

  private void enqueueNodeOf(Lease l) {
    if (LEASE_NAMESPACE.equals(l.getMetadata().getNamespace())) {
      queue.add(key(l.getMetadata().getName()));
    }
  }

  /** A pod bound to a node, or whose tolerations changed, may have to go (the taint manager's PodUpdated). */
  private void podChanged(Pod old, Pod p) {
    String node = PodConditions.nodeName(p);
    if (node.isEmpty()) {
      return;
    }
    if (old == null || !node.equals(PodConditions.nodeName(old))
        || !Objects.equals(tolerations(old), tolerations(p))) {
      queue.add(key(node));
    }
  }

  private static Object tolerations(Pod p) {
    return p.getSpec() == null ? null : p.getSpec().getTolerations();
  }

  static String key(String nodeName) {
    return Kinds.NODE.kind() + "//" + nodeName;
  }

  private double unhealthyNodes() {
    return nodes.list().stream().filter(n -> !NodeConditions.TRUE.equals(NodeConditions.ready(n))).count();
  }

  @Override
  public void close() {
    controller.close();
  }

  ReconcileResult reconcile(String key) throws Exception {
    String name = key.substring(key.lastIndexOf('/') + 1);
    Optional<Node> found = nodes.get("", name);
    if (found.isEmpty()) {
      health.forget(name);
      return ReconcileResult.done();
    }
    Node node = found.get();
    Instant now = clock.instant();
    NodeHealth.Probe probe = health.observe(node, leases.get(LEASE_NAMESPACE, name).orElse(null), now);
    ReconcileResult next = ReconcileResult.done();
    if (probe.expired(now)) {
      node = markUnknown(node, probe, now);
    } else {
      next = ReconcileResult.requeueAfter(Duration.between(now, probe.deadline()).plus(DEADLINE_SLACK));
    }
    // Read the clock again after each write: a taint's timeAdded starts its pods' toleration seconds.
    Optional<List<Taint>> taints = NodeTaints.reconcile(node, clock.instant());
    if (taints.isPresent()) {
      Node tainted = PodTemplates.copy(node);
      if (tainted.getSpec() == null) {
        tainted.setSpec(NodeSpec.newBuilder().build());
      }
      tainted.getSpec().setTaints(taints.get().isEmpty() ? null : taints.get());
      node = writer.update(tainted).objectAs(Node.class);
      log.info("node {}: taints now {}", name, describe(NodeTaints.taints(node)));
    }
    return ReconcileResult.sooner(next, reconcilePods(node, probe, clock.instant()));
  }

  /** Posts the kubelet conditions Unknown unless Ready is Unknown already; returns the node as stored. */
  private Node markUnknown(Node node, NodeHealth.Probe probe, Instant now) throws Exception {
    Optional<NodeStatus> unknown = StaleNodeStatus.markUnknown(node, now);
    if (unknown.isEmpty()) {
      return node;
    }
    String name = node.getMetadata().getName();
    String readyBefore = NodeConditions.ready(node);
    Node updated = PodTemplates.copy(node);
    updated.setStatus(unknown.get());
    Node stored = writer.updateStatus(updated).objectAs(Node.class);
    markedUnknown.increment();
    log.warn("node {}: no Lease renewal or status for {} (last heard of {} ago): Ready is now Unknown", name,
        probe.gracePeriod(), Duration.between(probe.probeTimestamp(), now));
    if (NodeConditions.TRUE.equals(readyBefore)) {
      // RecordNodeStatusChange: once, when the node stops being Ready.
      nodeEvents.normal(Kinds.NODE, stored.getMetadata(), "NodeNotReady", "Node " + name + " status is now: NodeNotReady");
    }
    return stored;
  }

  private ReconcileResult reconcilePods(Node node, NodeHealth.Probe probe, Instant now) throws Exception {
    String name = node.getMetadata().getName();
    String ready = NodeConditions.ready(node);
    // MarkPodsNotReady: while the node is silent (level), or when it turned NotReady itself (edge).
    boolean markNotReady = NodeConditions.UNKNOWN.equals(ready)
        || (NodeConditions.FALSE.equals(ready) && NodeConditions.TRUE.equals(probe.previousReadyStatus()));
    List<Taint> noExecute = NodeTaints.noExecute(node);
    ReconcileResult next = ReconcileResult.done();
    for (Pod pod : pods.byIndex(Indexes.NODE_NAME, name)) {
      if (!name.equals(PodConditions.nodeName(pod))) {
        continue;
      }
      String uid = pod.getMetadata().getUid();
      if (markNotReady && PodConditions.isReady(pod)) {
        pod = markNotReady(pod, now);
        if (pod == null) {
          continue; // gone meanwhile
        }
      }
      if (pod.getMetadata().getDeletionTimestamp() != null) {
        scheduled.remove(uid);
        continue; // being deleted already
      }
      Instant firstSeen = scheduled.getOrDefault(uid, now);
      TaintEviction.Decision d = TaintEviction.decide(pod, noExecute, firstSeen, now);
      if (d instanceof TaintEviction.Decision.Stay) {
        if (scheduled.remove(uid) != null) {
          // The taints went (or the pod tolerates them now): the scheduled eviction is off.
          String ns = pod.getMetadata().getNamespace();
          evictionEvents.normal(Kinds.POD, pod.getMetadata(), "TaintManagerEviction",
              "Cancelling deletion of Pod " + ns + "/" + pod.getMetadata().getName());
          log.info("node {}: eviction of pod {}/{} cancelled", name, ns, pod.getMetadata().getName());
        }
      } else if (d instanceof TaintEviction.Decision.EvictAt at) {
        scheduled.putIfAbsent(uid, firstSeen);
        next = ReconcileResult.sooner(next, ReconcileResult.requeueAfter(Duration.between(now, at.at())));
      } else if (d instanceof TaintEviction.Decision.EvictNow evict) {
        evict(pod, node, evict, now);
        scheduled.remove(uid);
      }
    }
    return next;
  }

  /** Sets the pod's Ready condition False (nodeutil.MarkPodsNotReady); null when the pod is gone. */
  private Pod markNotReady(Pod pod, Instant now) throws Exception {
    Pod p = PodTemplates.copy(pod);
    List<PodCondition> conditions = new ArrayList<>(p.getStatus().getConditions());
    for (int i = 0; i < conditions.size(); i++) {
      PodCondition c = conditions.get(i);
      if (PodConditions.READY.equals(c.getType())) {
        c.setStatus("False");
        c.setLastTransitionTime(now.toString());
      }
    }
    p.getStatus().setConditions(conditions);
    try {
      Pod stored = writer.updateStatus(p).objectAs(Pod.class);
      nodeEvents.warning(Kinds.POD, stored.getMetadata(), "NodeNotReady", "Node is not ready");
      return stored;
    } catch (WriteRejectedException e) {
      if (e.isNotFound()) {
        return null;
      }
      throw e;
    }
  }

  /** addConditionAndDeletePod: a DisruptionTarget condition, then the delete (graceful, as any delete). */
  private void evict(Pod pod, Node node, TaintEviction.Decision.EvictNow d, Instant now) throws Exception {
    String ns = pod.getMetadata().getNamespace();
    String name = pod.getMetadata().getName();
    Pod marked = PodTemplates.copy(pod);
    PodStatus status = marked.getStatus() == null ? PodStatus.newBuilder().build() : marked.getStatus();
    List<PodCondition> conditions = status.getConditions() == null ? new ArrayList<>()
        : new ArrayList<>(status.getConditions());
    conditions.removeIf(c -> DISRUPTION_TARGET.equals(c.getType()));
    conditions.add(PodCondition.newBuilder().setType(DISRUPTION_TARGET).setStatus("True")
        .setReason(DELETION_BY_TAINT_MANAGER).setMessage("Taint manager: deleting due to NoExecute taint")
        .setLastTransitionTime(now.toString()).build());
    status.setConditions(conditions);
    marked.setStatus(status);
    try {
      writer.updateStatus(marked);
      writer.delete(Kinds.POD, ns, name, DeleteOptions.newBuilder().setPreconditionUid(pod.getMetadata().getUid())
          .build());
    } catch (WriteRejectedException e) {
      if (e.isNotFound()) {
        return;
      }
      throw e;
    }
    evictions.increment();
    evictionEvents.normal(Kinds.POD, pod.getMetadata(), "TaintManagerEviction", "Marking for deletion Pod " + ns + "/" + name);
    log.info("node {}: evicted pod {}/{}: taint {}:{} {}", node.getMetadata().getName(), ns, name,
        d.taint().getKey(), d.taint().getEffect(), d.untolerated() ? "is not tolerated" : "tolerated no longer");
  }

  private static String describe(List<Taint> taints) {
    return taints.stream().map(t -> t.getKey() + ":" + t.getEffect()).toList().toString();
  }
}
