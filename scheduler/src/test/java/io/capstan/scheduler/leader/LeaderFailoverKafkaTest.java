package io.capstan.scheduler.leader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.Lease;
import io.capstan.api.Node;
import io.capstan.api.Pod;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.scheduler.config.SchedulerConfig;
import io.capstan.scheduler.service.SchedulerInstance;
import io.capstan.stateviews.bootstrap.SystemNamespaces;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.InformerConfig;
import io.capstan.stateviews.informer.SharedInformers;
import io.capstan.stateviews.processor.CommandProcessor;
import io.capstan.stateviews.processor.ProcessorConfig;
import io.capstan.stateviews.testing.KafkaFixture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** Two schedulers on one cluster: one active; when it dies, the other takes over within seconds. */
class LeaderFailoverKafkaTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }

  private static Pod pod(String name) {
    return KubeJson.<Pod>fromText(Kinds.POD, """
        metadata: {name: %s, namespace: default}
        spec: {containers: [{name: app, image: busybox, resources: {requests: {cpu: 100m}}}]}
        """.formatted(name)).object();
  }

  @Test
  void oneIsActiveAndTheOtherTakesOverWhenItCrashes() throws Exception {
    TopicLayout layout = KafkaFixture.freshLayout(2);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Map<String, Object> kafka = KafkaFixture.clientConfig();
    ProcessorConfig pc = ProcessorConfig.defaults(kafka, layout, KafkaFixture.tempDir("scheduler-ha"));
    Duration lease = Duration.ofSeconds(3);
    try (CommandProcessor processor = new CommandProcessor(pc, registry);
        SharedInformers informers = new SharedInformers(InformerConfig.defaults(kafka, layout, "test"), registry);
        CommandClient client = new CommandClient(CommandClientConfig.defaults(kafka, layout, "test"), registry)) {
      processor.start();
      processor.awaitRunning(WAIT);
      SystemNamespaces.ensure(client, WAIT);
      Informer<Pod> pods = informers.informerFor(Kinds.POD, Pod.class);
      Informer<Lease> leases = informers.informerFor(Kinds.LEASE, Lease.class);
      informers.start();
      assertTrue(informers.awaitSynced(WAIT));
      Node node = KubeJson.<Node>fromText(Kinds.NODE,
          "metadata: {name: n1}\nstatus: {allocatable: {cpu: \"8\", memory: 8Gi, pods: \"110\"}}").object();
      assertInstanceOf(CommandResult.Accepted.class, client.create(node).get(30, TimeUnit.SECONDS));

      SchedulerInstance a = instance(kafka, layout, "a", lease);
      SchedulerInstance b = instance(kafka, layout, "b", lease);
      try {
        a.start(WAIT);
        b.start(WAIT);
        await("a leader", () -> a.elector().isLeader() || b.elector().isLeader());
        SchedulerInstance leader = a.elector().isLeader() ? a : b;
        SchedulerInstance standby = leader == a ? b : a;
        Thread.sleep(lease.toMillis());
        assertTrue(leader.elector().isLeader() && !standby.elector().isLeader(), "exactly one leader");
        assertTrue(leader.service().isActive() && !standby.service().isActive());
        assertEquals(leader.elector().identity(), leases.get("kube-system", "kube-scheduler").orElseThrow()
            .getSpec().getHolderIdentity());

        client.create(pod("before")).get(30, TimeUnit.SECONDS);
        await("before bound", () -> pods.get("default", "before").map(p -> p.getSpec().getNodeName() != null).orElse(false));

        long crashed = System.nanoTime();
        leader.crash();
        await("standby takes over", () -> standby.elector().isLeader());
        double takeover = (System.nanoTime() - crashed) / 1e9;
        assertTrue(takeover < 2 * lease.toSeconds() + 2, "took over after " + takeover + " s");
        client.create(pod("after")).get(30, TimeUnit.SECONDS);
        await("after bound by the new leader", () -> pods.get("default", "after").map(p -> p.getSpec().getNodeName() != null).orElse(false));
        Lease l = leases.get("kube-system", "kube-scheduler").orElseThrow();
        assertTrue(l.getSpec().getLeaseTransitions() >= 1);

        // A graceful stop releases the lease: a fresh candidate takes it without waiting out the duration.
        SchedulerInstance c = instance(kafka, layout, "c", lease);
        try {
          c.start(WAIT);
          long stopped = System.nanoTime();
          standby.close();
          await("c takes over after the release", () -> c.elector().isLeader());
          double handover = (System.nanoTime() - stopped) / 1e9;
          assertTrue(handover < lease.toSeconds() + 1.5, "took over " + handover + " s after the graceful stop");
        } finally {
          c.close();
        }
      } finally {
        a.close();
        b.close();
      }
    }
  }

  private static SchedulerInstance instance(Map<String, Object> kafka, TopicLayout layout, String id, Duration lease) {
    LeaderElectionConfig election = LeaderElectionConfig.defaults(SchedulerConfig.DEFAULT_SCHEDULER_NAME, "scheduler-" + id)
        .withTimes(lease, Duration.ofSeconds(2), Duration.ofMillis(250));
    return new SchedulerInstance(kafka, layout, SchedulerConfig.defaults(), election, new SimpleMeterRegistry());
  }
}
