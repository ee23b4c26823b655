package io.capstan.controllers.nodelifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.Event;
import io.capstan.api.Lease;
import io.capstan.api.LeaseSpec;
import io.capstan.api.Node;
import io.capstan.api.NodeCondition;
import io.capstan.api.NodeSpec;
import io.capstan.api.NodeStatus;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodCondition;
import io.capstan.api.Taint;
import io.capstan.api.Toleration;
import io.capstan.controllers.runtime.PodConditions;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.controllers.testing.Cluster;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.taints.TaintKeys;
import io.capstan.stateviews.informer.Informer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Node loss and eviction on the real broker: a node that stops renewing its Lease becomes
 * Ready=Unknown and tainted unreachable after the grace period; its pods go at once, after their
 * toleration seconds, or never; a node that comes back loses the taints.
 */
class NodeLifecycleControllerKafkaTest {
  private static final Duration GRACE = Duration.ofSeconds(3);
  private static final String NODE = "worker-1";
  private static final String NS = "apps";

  private static Node node(Instant heartbeat) {
    List<NodeCondition> conditions = new ArrayList<>();
    for (String type : List.of("MemoryPressure", "DiskPressure", "PIDPressure")) {
      conditions.add(NodeCondition.newBuilder().setType(type).setStatus("False").setReason("KubeletHasNo" + type)
          .setLastHeartbeatTime(heartbeat.toString()).setLastTransitionTime(heartbeat.toString()).build());
    }
    conditions.add(NodeCondition.newBuilder().setType("Ready").setStatus("True").setReason("KubeletReady")
        .setMessage("kubelet is posting ready status").setLastHeartbeatTime(heartbeat.toString())
        .setLastTransitionTime(heartbeat.toString()).build());
    return Node.newBuilder().setMetadata(ObjectMeta.newBuilder().setName(NODE).build())
        .setSpec(NodeSpec.newBuilder().build())
        .setStatus(NodeStatus.newBuilder().setConditions(conditions).build()).build();
  }

  private static Lease lease(Instant renewed) {
    return Lease.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace(NodeLifecycleController.LEASE_NAMESPACE).setName(NODE).build())
        .setSpec(LeaseSpec.newBuilder().setHolderIdentity(NODE).setLeaseDurationSeconds(40)
            .setRenewTime(renewed.toString()).build())
        .build();
  }

  private static Pod pod(String name, List<Toleration> tolerations) {
    Pod p = Pod.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace(NS).setName(name).build())
        .setSpec(Cluster.template(java.util.Map.of("app", name), "busybox").getSpec()).build();
    p.getSpec().setTolerations(tolerations.isEmpty() ? null : tolerations);
    return p;
  }

  private static Toleration unreachableFor(Long seconds) {
    return Toleration.newBuilder().setKey(TaintKeys.UNREACHABLE).setOperator("Exists").setEffect(TaintKeys.NO_EXECUTE)
        .setTolerationSeconds(seconds).build();
  }

  private static Optional<Taint> taint(Node n, String key, String effect) {
    return NodeTaints.taints(n).stream().filter(t -> t.getKey().equals(key) && t.getEffect().equals(effect)).findFirst();
  }

  private static boolean deleting(Informer<Pod> pods, String name) {
    return pods.get(NS, name).map(p -> p.getMetadata().getDeletionTimestamp() != null).orElse(true);
  }

  /** When the controller decided to evict: its DisruptionTarget condition's transition time (controller clock). */
  private static Instant disruptedAt(Informer<Pod> pods, String name) throws InterruptedException {
    Cluster.await(name + " marked as a disruption", () -> pods.get(NS, name)
        .flatMap(p -> PodConditions.condition(p, "DisruptionTarget")).isPresent());
    PodCondition d = PodConditions.condition(pods.get(NS, name).orElseThrow(), "DisruptionTarget").orElseThrow();
    assertEquals("True", d.getStatus());
    assertEquals("DeletionByTaintManager", d.getReason());
    assertEquals("Taint manager: deleting due to NoExecute taint", d.getMessage());
    return Instant.parse(d.getLastTransitionTime());
  }

  @Test
  void aSilentNodeIsMarkedUnknownTaintedAndItsPodsEvictedByTheirTolerations() throws Exception {
    try (Cluster cluster = new Cluster("node-lifecycle-it");
        NodeLifecycleController controller = new NodeLifecycleController(cluster.informers, cluster.writer,
            Clock.systemUTC(), NodeLifecycleConfig.withGracePeriod(GRACE), 1, cluster.registry)) {
      Informer<Node> nodes = cluster.informers.informerFor(Kinds.NODE, Node.class);
      Informer<Pod> pods = cluster.informers.informerFor(Kinds.POD, Pod.class);
      Informer<Event> events = cluster.informers.informerFor(Kinds.EVENT, Event.class);
      cluster.startInformers();
      controller.start();
      cluster.namespace(NodeLifecycleController.LEASE_NAMESPACE);
      cluster.namespace(NS);
      cluster.namespace("default");

      // The node registers and its agent renews the Lease every 200 ms (kubelet: 10 s); it posts status once.
      cluster.create(node(Instant.now()));
      cluster.create(lease(Instant.now()));
      AtomicBoolean renewing = new AtomicBoolean(true);
      AtomicReference<Instant> lastRenewal = new AtomicReference<>(Instant.now());
      Thread agent = new Thread(() -> {
        while (renewing.get()) {
          try {
            Instant now = Instant.now();
            CommandResult r = cluster.client.update(lease(now)).get(30, TimeUnit.SECONDS);
            if (r instanceof CommandResult.Accepted) {
              lastRenewal.set(now);
            }
            Thread.sleep(200);
          } catch (Exception e) {
            return;
          }
        }
      }, "test-lease-renewer");
      agent.start();

      for (String name : List.of("intolerant", "two-seconds", "a-minute", "forever")) {
        List<Toleration> t = switch (name) {
          case "two-seconds" -> List.of(unreachableFor(2L));
          case "a-minute" -> List.of(unreachableFor(60L));
          case "forever" -> List.of(unreachableFor(null));
          default -> List.of();
        };
        cluster.create(pod(name, t));
        assertInstanceOf(CommandResult.Accepted.class, cluster.client.bind(NS, name, NODE).get(30, TimeUnit.SECONDS));
        Cluster.await(name + " bound", () -> pods.get(NS, name).map(p -> NODE.equals(PodConditions.nodeName(p)))
            .orElse(false));
        assertInstanceOf(CommandResult.Accepted.class, cluster.makeReady(pods.get(NS, name).orElseThrow(), Instant.now()));
      }
      Cluster.await("pods ready", () -> pods.list(NS).stream().filter(PodConditions::isReady).count() == 4);
      // kube-apiserver's DefaultTolerationSeconds admission gives a pod without them 300 s tolerations of
      // not-ready and unreachable; should the processor do so, "intolerant" tolerates for 300 s and stays here.
      List<Toleration> defaults = pods.get(NS, "intolerant").orElseThrow().getSpec().getTolerations();
      boolean defaulted = defaults != null && !defaults.isEmpty();
      if (defaulted) {
        assertTrue(defaults.stream().allMatch(t -> Long.valueOf(300).equals(t.getTolerationSeconds())), defaults::toString);
      }
      int evicted = defaulted ? 1 : 2;

      // Renewing the Lease alone keeps the node alive well past the grace period.
      Thread.sleep(GRACE.toMillis() + 1500);
      Node alive = nodes.get("", NODE).orElseThrow();
      assertEquals("True", NodeConditions.ready(alive), "a renewed Lease is a heartbeat");
      assertTrue(NodeTaints.taints(alive).isEmpty());

      // The node goes silent.
      renewing.set(false);
      agent.join(35_000);
      Instant silentSince = lastRenewal.get();
      Cluster.await("Ready=Unknown", () -> "Unknown".equals(nodes.get("", NODE).map(NodeConditions::ready).orElse(null)),
          () -> String.valueOf(nodes.get("", NODE)));
      Instant unknownAt = Instant.now();
      assertTrue(!unknownAt.isBefore(silentSince.plus(GRACE)), "marked Unknown " + Duration.between(silentSince, unknownAt)
          + " after the last renewal, sooner than the grace period");
      assertTrue(unknownAt.isBefore(silentSince.plus(GRACE).plusSeconds(5)), "marked Unknown too late: "
          + Duration.between(silentSince, unknownAt));
      Node lost = nodes.get("", NODE).orElseThrow();
      for (NodeCondition c : NodeConditions.all(lost)) {
        assertEquals("Unknown", c.getStatus(), c.getType());
        assertEquals("NodeStatusUnknown", c.getReason());
        assertEquals("Kubelet stopped posting node status.", c.getMessage());
      }

      Cluster.await("unreachable taints", () -> nodes.get("", NODE)
          .map(n -> taint(n, TaintKeys.UNREACHABLE, TaintKeys.NO_EXECUTE).isPresent()
              && taint(n, TaintKeys.UNREACHABLE, TaintKeys.NO_SCHEDULE).isPresent()).orElse(false),
          () -> String.valueOf(nodes.get("", NODE)));
      Instant taintedAt = Instant.parse(taint(nodes.get("", NODE).orElseThrow(), TaintKeys.UNREACHABLE,
          TaintKeys.NO_EXECUTE).orElseThrow().getTimeAdded());

      // Untolerated: evicted at once, marked as a disruption first.
      if (!defaulted) {
        Cluster.await("intolerant evicted", () -> deleting(pods, "intolerant"));
        Instant now = Instant.now();
        if (now.isBefore(taintedAt.plusMillis(1800))) {
          assertFalse(deleting(pods, "two-seconds"), "the 2 s toleration is not over yet");
        }
        Instant intolerantDecided = disruptedAt(pods, "intolerant");
        assertTrue(intolerantDecided.isBefore(taintedAt.plusSeconds(1)), "the untolerated pod waited "
            + Duration.between(taintedAt, intolerantDecided));
      }

      // Tolerated for 2 s: evicted when they are up, counted from the taint.
      Cluster.await("two-seconds evicted", () -> deleting(pods, "two-seconds"));
      Instant twoDecided = disruptedAt(pods, "two-seconds");
      assertTrue(!twoDecided.isBefore(taintedAt.plusSeconds(2)), "evicted " + Duration.between(taintedAt, twoDecided)
          + " after the taint, before its 2 s toleration");
      assertTrue(twoDecided.isBefore(taintedAt.plusSeconds(4)), "evicted late: " + Duration.between(taintedAt, twoDecided)
          + " after the taint");

      // Tolerated forever: stays, but no longer Ready (MarkPodsNotReady), so endpoints drop it.
      Cluster.await("forever marked not ready", () -> pods.get(NS, "forever").map(p -> !PodConditions.isReady(p))
          .orElse(false));
      Thread.sleep(1500);
      assertFalse(deleting(pods, "forever"), "a pod tolerating the taint forever stays");
      assertFalse(deleting(pods, "a-minute"), "a pod tolerating the taint for a minute stays for now");

      Cluster.await("eviction events", () -> events.list(NS).stream()
          .filter(e -> "TaintManagerEviction".equals(e.getReason())).count() == evicted,
          () -> events.list(NS).stream().map(e -> e.getReason() + " " + e.getMessage()).toList().toString());
      assertTrue(events.list(NS).stream().anyMatch(e -> "TaintManagerEviction".equals(e.getReason())
          && ("Marking for deletion Pod " + NS + "/two-seconds").equals(e.getMessage())));
      Cluster.await("NodeNotReady event", () -> events.list("default").stream().anyMatch(e ->
          "NodeNotReady".equals(e.getReason()) && NODE.equals(e.getInvolvedObject().getName())));
      assertEquals((double) evicted, cluster.registry.get("capstan.controller.taint.evictions").tag("controller", "node-lifecycle")
          .counter().count());
      assertEquals(1.0, cluster.registry.get("capstan.controller.unhealthy.nodes").gauge().value());

      // The node comes back: its agent posts Ready again and renews the Lease.
      Node back = PodTemplates.copy(nodes.get("", NODE).orElseThrow());
      back.setStatus(node(Instant.now()).getStatus());
      back.getMetadata().setResourceVersion(null);
      assertInstanceOf(CommandResult.Accepted.class, cluster.client.updateStatus(back).get(30, TimeUnit.SECONDS));
      assertInstanceOf(CommandResult.Accepted.class, cluster.client.update(lease(Instant.now())).get(30, TimeUnit.SECONDS));
      Cluster.await("taints removed", () -> nodes.get("", NODE).map(n -> "True".equals(NodeConditions.ready(n))
          && NodeTaints.taints(n).isEmpty()).orElse(false), () -> String.valueOf(nodes.get("", NODE)));
      for (String stays : defaulted ? List.of("forever", "a-minute", "intolerant") : List.of("forever", "a-minute")) {
        assertNull(pods.get(NS, stays).orElseThrow().getMetadata().getDeletionTimestamp(), stays + " stays");
      }
      Cluster.await("the scheduled eviction cancelled", () -> events.list(NS).stream().anyMatch(e ->
          "TaintManagerEviction".equals(e.getReason())
              && ("Cancelling deletion of Pod " + NS + "/a-minute").equals(e.getMessage())));
    }
  }
}
