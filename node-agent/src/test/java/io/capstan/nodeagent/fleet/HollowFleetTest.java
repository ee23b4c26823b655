package io.capstan.nodeagent.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.Lease;
import io.capstan.api.Node;
import io.capstan.api.Pod;
import io.capstan.api.ContainerStatus;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.nodeagent.AgentCluster;
import io.capstan.nodeagent.logs.LogClient;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.InformerConfig;
import io.capstan.stateviews.informer.SharedInformers;
import io.capstan.stateviews.testing.KafkaFixture;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;

/**
 * A fleet of hollow nodes on the real broker and command processor: every Node registers Ready
 * with a Lease, pods bound to different nodes run and go away, and what the fleet costs in
 * threads and Kafka consumers does not grow with its node count.
 */
class HollowFleetTest {
  @Test
  void twoHundredHollowNodesShareTheirThreadsAndKafkaClientsAndRunPods() throws Exception {
    Cost before;
    java.util.Map<String, Long> namesBefore;
    try (AgentCluster cluster = new AgentCluster("fleet");
        LogClient logs = new LogClient()) {
      SharedInformers informers = new SharedInformers(InformerConfig.defaults(cluster.kafka, cluster.layout,
          "fleet-eyes"), cluster.registry);
      Informer<Node> nodes = informers.informerFor(Kinds.NODE, Node.class);
      Informer<Lease> leases = informers.informerFor(Kinds.LEASE, Lease.class);
      informers.start();
      assertTrue(informers.awaitSynced(Duration.ofSeconds(60)));

      before = Cost.now();
      namesBefore = threadNames();
      HollowFleet small = new HollowFleet(config(cluster, "small", 20, logs), cluster.registry);
      HollowFleet big = null;
      try {
        small.start(Duration.ofSeconds(120), (done, total) -> { });
        Cost smallCost = Cost.now().minus(before);
        AtomicInteger lastProgress = new AtomicInteger();
        big = new HollowFleet(config(cluster, "hollow", 200, logs), cluster.registry);
        big.start(Duration.ofSeconds(180), (done, total) -> lastProgress.accumulateAndGet(done, Math::max));
        Cost bigCost = Cost.now().minus(before).minus(smallCost);
        assertEquals(200, lastProgress.get(), "progress reached every node");
        assertEquals(200, big.registered());
        assertEquals("hollow-0000", big.nodeNames().get(0));
        assertEquals("hollow-0199", big.nodeNames().get(199));

        // What a fleet costs does not depend on how many nodes it has.
        assertTrue(bigCost.threads() < 60, "a 200-node fleet started " + bigCost + "; a 20-node one " + smallCost
            + "; threads now: " + threadNames());
        assertTrue(Math.abs(bigCost.threads() - smallCost.threads()) <= 3,
            "threads grow with the node count: 20 nodes " + smallCost + ", 200 nodes " + bigCost);
        assertEquals(smallCost.consumers(), bigCost.consumers(),
            "Kafka consumers grow with the node count: 20 nodes " + smallCost + ", 200 nodes " + bigCost);
        assertTrue(bigCost.consumers() <= 4, "one fleet, a handful of consumers: " + bigCost);

        // Every Node is there, Ready, labelled hollow, its kubelet endpoint the fleet's log server; every Lease too.
        await(Duration.ofSeconds(60), "220 Ready hollow Nodes with Leases", () -> nodes.list().stream()
            .filter(n -> "true".equals(n.getMetadata().getLabels().get(HollowFleetConfig.HOLLOW_LABEL)))
            .filter(HollowFleetTest::ready).count() == 220 && leases.list(
                io.capstan.nodeagent.node.NodeStatusReporter.LEASE_NAMESPACE).size() >= 220);
        Node n57 = nodes.get("", "hollow-0057").orElseThrow();
        assertEquals(big.port(), n57.getStatus().getDaemonEndpoints().getKubeletEndpoint().getPort());
        assertEquals("hollow-0057", leases.get("kube-node-lease", "hollow-0057").orElseThrow().getSpec()
            .getHolderIdentity());

        // Pods bound to several nodes of both fleets run, and go when deleted.
        List<String> targets = List.of("hollow-0000", "hollow-0057", "hollow-0123", "hollow-0199", "small-0007");
        for (int i = 0; i < targets.size(); i++) {
          cluster.run(AgentCluster.pod("p" + i, "Always", AgentCluster.container("main", "registry.example/app:1",
              "serve")), targets.get(i));
        }
        for (int i = 0; i < targets.size(); i++) {
          Pod p = cluster.await("p" + i, Duration.ofSeconds(60), "Running and ready", HollowFleetTest::runningAndReady);
          assertEquals(targets.get(i), p.getSpec().getNodeName());
          assertTrue(p.getStatus().getContainerStatuses().get(0).getContainerID().startsWith("hollow://"));
        }
        long distinctIds = java.util.stream.IntStream.range(0, targets.size())
            .mapToObj(i -> cluster.pods.get("default", "p" + i).orElseThrow().getStatus().getContainerStatuses().get(0)
                .getContainerID()).distinct().count();
        assertEquals(targets.size(), distinctIds, "container IDs are distinct across the fleet's nodes");

        // kubectl logs of a hollow pod: a clear answer from the fleet's one log server, not a hang.
        LogClient.Response r = logs.get(big.port(), "/containerLogs/default/p1/main");
        assertEquals(404, r.status(), r.body());
        assertTrue(r.body().contains("hollow node hollow-0057: simulated containers write no logs"), r.body());

        String scrape = cluster.registry.scrape();
        assertTrue(scrape.contains("capstan_hollow_fleet_nodes{fleet=\"hollow\"} 200.0"), scrape);
        assertTrue(scrape.contains("capstan_pod_start_duration_seconds_count{node=\"hollow-*\"} 4"), scrape);
        assertTrue(!scrape.contains("node=\"hollow-0057\""), "no per-node series for fleet nodes");

        for (int i = 0; i < targets.size(); i++) {
          cluster.client.delete(Kinds.POD, "default", "p" + i, null).get(30, TimeUnit.SECONDS);
        }
        for (int i = 0; i < targets.size(); i++) {
          cluster.awaitGone("p" + i, Duration.ofSeconds(60));
        }
        HollowFleet started = big;
        await(Duration.ofSeconds(30), "the fleets forget the deleted pods",
            () -> started.pods().get().isEmpty() && small.pods().get().isEmpty());
      } finally {
        if (big != null) {
          big.close();
        }
        small.close();
        informers.close();
      }
    }
    // Left after both fleets stopped: at most the JDK's own lazily made helpers (e.g. the
    // CompletableFuture delay scheduler).
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (Cost.now().threads() - before.threads() > 2 && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
    assertTrue(Cost.now().threads() - before.threads() <= 2, "the fleets' threads stop with them: " + Cost.now()
        + " vs " + before + " before; new threads: " + newThreads(namesBefore));
  }

  /** Live threads by name with the digits taken out, with their count (what an assertion shows). */
  static java.util.Map<String, Long> threadNames() {
    return Thread.getAllStackTraces().keySet().stream().collect(java.util.stream.Collectors.groupingBy(
        t -> t.getName().replaceAll("[0-9]+", "N"), java.util.TreeMap::new, java.util.stream.Collectors.counting()));
  }

  static java.util.Map<String, Long> newThreads(java.util.Map<String, Long> before) {
    java.util.Map<String, Long> now = threadNames();
    now.replaceAll((k, v) -> v - before.getOrDefault(k, 0L));
    now.values().removeIf(v -> v <= 0);
    return now;
  }

  static HollowFleetConfig config(AgentCluster cluster, String prefix, int count, LogClient logs) {
    return HollowFleetConfig.defaults(cluster.kafka, cluster.layout, count, KafkaFixture.tempDir("fleet-" + prefix))
        .withPrefix(prefix).withRelistPeriod(Duration.ofMillis(200)).withLogServer("127.0.0.1", 0, logs.caFile());
  }

  static boolean ready(Node n) {
    return n.getStatus() != null && n.getStatus().getConditions().stream()
        .anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"));
  }

  static boolean runningAndReady(Pod p) {
    return p.getStatus() != null && "Running".equals(p.getStatus().getPhase())
        && p.getStatus().getContainerStatuses() != null && !p.getStatus().getContainerStatuses().isEmpty()
        && p.getStatus().getContainerStatuses().stream().allMatch(ContainerStatus::getReady);
  }

  static void await(Duration timeout, String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(what + ": not reached in " + timeout);
      }
      Thread.sleep(100);
    }
  }

  /** Live threads and Kafka consumers of this JVM. */
  record Cost(int threads, int consumers) {
    static Cost now() throws Exception {
      int consumers = ManagementFactory.getPlatformMBeanServer()
          .queryNames(new ObjectName("kafka.consumer:type=consumer-metrics,*"), null).size();
      return new Cost(Thread.activeCount(), consumers);
    }

    Cost minus(Cost o) {
      return new Cost(threads - o.threads, consumers - o.consumers);
    }

    @Override
    public String toString() {
      return threads + " threads and " + consumers + " Kafka consumers";
    }
  }
}
