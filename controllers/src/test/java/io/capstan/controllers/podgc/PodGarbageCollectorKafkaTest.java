package io.capstan.controllers.podgc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.Node;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodCondition;
import io.capstan.api.PodStatus;
import io.capstan.controllers.runtime.PodConditions;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.controllers.testing.Cluster;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.ResourceEventHandler;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The pod garbage collector on the real broker: terminated pods beyond the threshold go, evicted
 * ones and then the oldest first; the pods of a deleted node go once its quarantine is over,
 * marked Failed with kube's DisruptionTarget condition first; a terminating pod never scheduled is
 * marked Failed and deleted.
 */
class PodGarbageCollectorKafkaTest {
  private static final String NS = "batch";
  private static final Duration QUARANTINE = Duration.ofSeconds(2);

  private static Pod pod(String name) {
    return Pod.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace(NS).setName(name).build())
        .setSpec(Cluster.template(Map.of("app", "gc"), "busybox").getSpec()).build();
  }

  private static Node node(String name) {
    return Node.newBuilder().setMetadata(ObjectMeta.newBuilder().setName(name).build()).build();
  }

  /** Creates the pod (bound to {@code node} unless null) with the phase (and reason) a kubelet would have posted. */
  private static Pod run(Cluster cluster, String name, String node, String phase, String reason) throws Exception {
    Pod created = cluster.create(pod(name)).objectAs(Pod.class);
    if (node != null) {
      created = assertInstanceOf(CommandResult.Accepted.class, cluster.client.bind(NS, name, node).get(30,
          TimeUnit.SECONDS)).objectAs(Pod.class);
    }
    Pod withStatus = PodTemplates.copy(created);
    PodStatus status = withStatus.getStatus() == null ? PodStatus.newBuilder().build() : withStatus.getStatus();
    status.setPhase(phase);
    status.setReason(reason);
    withStatus.setStatus(status);
    return assertInstanceOf(CommandResult.Accepted.class, cluster.client.updateStatus(withStatus).get(30,
        TimeUnit.SECONDS)).objectAs(Pod.class);
  }

  @Test
  void terminatedPodsBeyondTheThresholdGoEvictedAndOldestFirst() throws Exception {
    try (Cluster cluster = new Cluster("podgc-threshold");
        PodGarbageCollector gc = new PodGarbageCollector(cluster.informers, cluster.writer, Clock.systemUTC(),
            new PodGcConfig(3, Duration.ofMillis(200), QUARANTINE), cluster.registry)) {
      Informer<Pod> pods = cluster.informers.informerFor(Kinds.POD, Pod.class);
      cluster.informers.informerFor(Kinds.NODE, Node.class);
      cluster.startInformers();
      cluster.namespace(NS);
      cluster.create(node("worker-1"));
      for (int i = 1; i <= 5; i++) {
        run(cluster, "done-" + i, "worker-1", "Succeeded", null);
      }
      run(cluster, "evicted", "worker-1", "Failed", "Evicted");
      run(cluster, "runner", "worker-1", "Running", null);
      run(cluster, "waiting", null, "Pending", null);
      Cluster.await("every pod in the cache", () -> pods.list(NS).size() == 8);

      gc.start();
      Cluster.await("three terminated pods left", () -> pods.list(NS).stream().filter(PodGcPlan::isTerminated).count() == 3,
          () -> names(pods).toString());
      Thread.sleep(600); // several more passes: nothing else goes
      assertEquals(List.of("done-3", "done-4", "done-5", "runner", "waiting"), names(pods),
          "the evicted pod first, then the oldest; running and pending pods are no terminated pods");
      String metrics = cluster.registry.scrape();
      assertTrue(metrics.contains("capstan_controller_podgc_force_deletes_total{controller=\"podgc\",reason=\"terminated\"} 3.0"),
          metrics.lines().filter(l -> l.contains("podgc")).toList().toString());
    }
  }

  @Test
  void thePodsOfADeletedNodeGoAfterItsQuarantineMarkedAsADisruption() throws Exception {
    try (Cluster cluster = new Cluster("podgc-orphans");
        PodGarbageCollector gc = new PodGarbageCollector(cluster.informers, cluster.writer, Clock.systemUTC(),
            new PodGcConfig(100, Duration.ofMillis(200), QUARANTINE), cluster.registry)) {
      Informer<Pod> pods = cluster.informers.informerFor(Kinds.POD, Pod.class);
      Informer<Node> nodes = cluster.informers.informerFor(Kinds.NODE, Node.class);
      List<Pod> seen = new CopyOnWriteArrayList<>();
      pods.addHandler(new ResourceEventHandler<>() {
        @Override
        public void onUpdate(Pod old, Pod p) {
          seen.add(p);
        }
      });
      cluster.startInformers();
      cluster.namespace(NS);
      cluster.create(node("doomed"));
      cluster.create(node("staying"));
      run(cluster, "orphan", "doomed", "Running", null);
      run(cluster, "kept", "staying", "Running", null);
      Cluster.await("both nodes and pods in the cache", () -> pods.list(NS).size() == 2 && nodes.list().size() == 2);
      gc.start();

      long deletedAt = System.nanoTime();
      assertInstanceOf(CommandResult.Accepted.class, cluster.client.delete(Kinds.NODE, "", "doomed", null)
          .get(30, TimeUnit.SECONDS));
      Cluster.await("the orphan deleted", () -> pods.get(NS, "orphan").isEmpty(), () -> names(pods).toString());
      long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - deletedAt);
      assertTrue(tookMs >= QUARANTINE.toMillis() - 100, "deleted before the node's quarantine was over: " + tookMs + " ms");
      assertEquals(List.of("kept"), names(pods), "a pod of a node that exists stays");

      Pod marked = seen.stream().filter(p -> p.getMetadata().getName().equals("orphan")
          && PodConditions.condition(p, "DisruptionTarget").isPresent()).findFirst()
          .orElseThrow(() -> new AssertionError("the orphan was never marked as a disruption: " + seen));
      assertEquals("Failed", marked.getStatus().getPhase());
      PodCondition c = PodConditions.condition(marked, "DisruptionTarget").orElseThrow();
      assertEquals("True", c.getStatus());
      assertEquals("DeletionByPodGC", c.getReason());
      assertEquals("PodGC: node no longer exists", c.getMessage());
    }
  }

  @Test
  void aTerminatingPodNeverScheduledIsMarkedFailedAndDeleted() throws Exception {
    try (Cluster cluster = new Cluster("podgc-unscheduled");
        PodGarbageCollector gc = new PodGarbageCollector(cluster.informers, cluster.writer, Clock.systemUTC(),
            new PodGcConfig(100, Duration.ofMillis(200), QUARANTINE), cluster.registry)) {
      Informer<Pod> pods = cluster.informers.informerFor(Kinds.POD, Pod.class);
      cluster.informers.informerFor(Kinds.NODE, Node.class);
      cluster.startInformers();
      cluster.namespace(NS);
      gc.start();
      Pod held = pod("held");
      held.getMetadata().setFinalizers(List.of("example.com/hold"));
      cluster.create(held);
      run(cluster, "pending", null, "Pending", null);
      // Its finalizer holds it: marked for deletion, and it stays while the finalizer does.
      assertInstanceOf(CommandResult.Accepted.class, cluster.client.delete(Kinds.POD, NS, "held", null)
          .get(30, TimeUnit.SECONDS));
      Cluster.await("the held pod marked Failed", () -> pods.get(NS, "held")
          .map(p -> "Failed".equals(PodConditions.phase(p))).orElse(false), () -> names(pods).toString());
      Cluster.await("the force delete counted", () -> cluster.registry.scrape()
          .contains("capstan_controller_podgc_force_deletes_total{controller=\"podgc\",reason=\"terminating_unscheduled\"}"));
      Pod failed = pods.get(NS, "held").orElseThrow();
      Pod released = PodTemplates.copy(failed);
      released.getMetadata().setFinalizers(null);
      assertInstanceOf(CommandResult.Accepted.class, cluster.client.update(released).get(30, TimeUnit.SECONDS));
      Cluster.await("the held pod gone", () -> pods.get(NS, "held").isEmpty());
      assertEquals("Pending", PodConditions.phase(pods.get(NS, "pending").orElseThrow()),
          "an unscheduled pod not being deleted is left alone");
    }
  }

  private static List<String> names(Informer<Pod> pods) {
    return pods.list(NS).stream().map(p -> p.getMetadata().getName()).sorted().toList();
  }
}
