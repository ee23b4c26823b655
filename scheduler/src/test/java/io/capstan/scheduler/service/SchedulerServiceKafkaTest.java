package io.capstan.scheduler.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.Event;
import io.capstan.api.Node;
import io.capstan.api.Pod;
import io.capstan.api.PodCondition;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.scheduler.config.SchedulerConfig;
import io.capstan.stateviews.bootstrap.SystemNamespaces;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.InformerConfig;
import io.capstan.stateviews.informer.SharedInformers;
import io.capstan.stateviews.processor.CommandProcessor;
import io.capstan.stateviews.processor.ProcessorConfig;
import io.capstan.stateviews.testing.KafkaFixture;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * The scheduler against the real broker and command processor: nodes and pods created through
 * the command client, binds through the processor's bind rule, failures written back.
 */
class SchedulerServiceKafkaTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  private static Node node(String name, String cpu, String taints) {
    return KubeJson.<Node>fromText(Kinds.NODE, """
        metadata: {name: %s, labels: {kubernetes.io/hostname: %s}}
        spec: {taints: %s}
        status: {allocatable: {cpu: "%s", memory: 8Gi, pods: "110"}, capacity: {cpu: "%s", memory: 8Gi, pods: "110"}}
        """.formatted(name, name, taints, cpu, cpu)).object();
  }

  private static Pod pod(String name, String cpu, String schedulerName) {
    return KubeJson.<Pod>fromText(Kinds.POD, """
        metadata: {name: %s, namespace: default}
        spec:
          schedulerName: %s
          containers: [{name: app, image: busybox, resources: {requests: {cpu: "%s", memory: 100Mi}}}]
        """.formatted(name, schedulerName, cpu)).object();
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(50);
    }
  }

  static CommandResult.Accepted accepted(CommandResult r) {
    return assertInstanceOf(CommandResult.Accepted.class, r, () -> "refused: " + r);
  }

  private static double counter(PrometheusMeterRegistry registry, String result) {
    var c = registry.find("capstan.scheduler.schedule.attempts").tag("result", result).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void podsAreBoundToFittingNodesAndAnUnfittablePodWaitsForANewNode() throws Exception {
    TopicLayout layout = KafkaFixture.freshLayout(2);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Map<String, Object> kafka = KafkaFixture.clientConfig();
    ProcessorConfig pc = ProcessorConfig.defaults(kafka, layout, KafkaFixture.tempDir("scheduler-it"));
    try (CommandProcessor processor = new CommandProcessor(pc, registry);
        SharedInformers informers = new SharedInformers(InformerConfig.defaults(kafka, layout, "scheduler"), registry);
        CommandClient client = new CommandClient(CommandClientConfig.defaults(kafka, layout, "scheduler"), registry)) {
      processor.start();
      processor.awaitRunning(WAIT);
      SystemNamespaces.ensure(client, WAIT);
      Informer<Pod> pods = informers.informerFor(Kinds.POD, Pod.class);
      Informer<Event> events = informers.informerFor(Kinds.EVENT, Event.class);
      try (SchedulerService scheduler = new SchedulerService(SchedulerConfig.defaults(), informers, client, registry,
          Clock.systemUTC())) {
        scheduler.start(WAIT);

        accepted(client.create(node("n1", "2", "[]")).get(30, TimeUnit.SECONDS));
        accepted(client.create(node("n2", "2", "[]")).get(30, TimeUnit.SECONDS));
        accepted(client.create(node("gpu", "8", "[{key: dedicated, value: gpu, effect: NoSchedule}]")).get(30, TimeUnit.SECONDS));
        await("3 nodes in the cache", () -> scheduler.cache().nodeCount() == 3);

        // Four 1-cpu pods fill n1 and n2 exactly; the tainted node takes none.
        for (int i = 1; i <= 4; i++) {
          accepted(client.create(pod("p" + i, "1", "default-scheduler")).get(30, TimeUnit.SECONDS));
        }
        accepted(client.create(pod("other", "1", "someone-else")).get(30, TimeUnit.SECONDS));
        await("4 pods bound", () -> pods.list().stream().filter(SchedulerService::isAssigned).count() == 4);
        Map<String, Integer> perNode = new HashMap<>();
        for (Pod p : pods.list()) {
          if (SchedulerService.isAssigned(p)) {
            perNode.merge(p.getSpec().getNodeName(), 1, Integer::sum);
          }
        }
        assertEquals(Map.of("n1", 2, "n2", 2), perNode, "no node over-committed, none on the tainted node");

        // The fifth fits nowhere: Kubernetes' message, condition and event, and no hot loop.
        accepted(client.create(pod("p5", "1", "default-scheduler")).get(30, TimeUnit.SECONDS));
        // The preemption PostFilter adds its own verdict, as kube-scheduler's message does.
        String expected = "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient cpu."
            + " preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling,"
            + " 2 No preemption victims found for incoming pod.";
        try {
          await("PodScheduled=False on p5", () -> pods.get("default", "p5").map(SchedulerServiceKafkaTest::scheduledCondition)
              .map(c -> "False".equals(c.getStatus()) && expected.equals(c.getMessage())).orElse(false));
        } catch (AssertionError e) {
          throw new AssertionError(e.getMessage() + "; p5 is " + pods.get("default", "p5").orElse(null), e);
        }
        PodCondition c = scheduledCondition(pods.get("default", "p5").orElseThrow());
        assertEquals("Unschedulable", c.getReason());
        await("FailedScheduling event for p5", () -> events.list("default").stream().anyMatch(e ->
            "FailedScheduling".equals(e.getReason()) && "p5".equals(e.getInvolvedObject().getName())));
        Event failed = events.list("default").stream().filter(e -> "FailedScheduling".equals(e.getReason())).findFirst().orElseThrow();
        assertEquals(expected, failed.getMessage());
        assertEquals("Warning", failed.getType());
        assertEquals("Pod", failed.getInvolvedObject().getKind());
        assertTrue(failed.getCount() >= 1);

        await("p5 parked", () -> "unschedulable".equals(scheduler.queue().whereIs("default/p5")));
        double attempts = counter(registry, "unschedulable");
        assertTrue(attempts <= 4, "a few attempts at most before parking, got " + attempts);
        Thread.sleep(3000);
        assertEquals(attempts, counter(registry, "unschedulable"), "a parked pod is not retried without an event");

        // A node with room is an event that helps: p5 is scheduled there.
        accepted(client.create(node("n3", "2", "[]")).get(30, TimeUnit.SECONDS));
        await("p5 bound to n3", () -> pods.get("default", "p5").map(p -> "n3".equals(p.getSpec().getNodeName())).orElse(false));
        await("Scheduled event for p5", () -> events.list("default").stream().anyMatch(e ->
            "Scheduled".equals(e.getReason()) && "Successfully assigned default/p5 to n3".equals(e.getMessage())));

        // Another scheduler's pod is left alone.
        assertNull(pods.get("default", "other").orElseThrow().getSpec().getNodeName());
        assertNull(scheduler.queue().whereIs("default/other"));

        String scrape = registry.scrape();
        for (String series : List.of("capstan_scheduler_schedule_attempts_total{result=\"scheduled\"} 5.0",
            "capstan_scheduler_scheduling_duration_seconds_bucket", "capstan_scheduler_pending_pods{queue=\"unschedulable\"} 0.0",
            "capstan_scheduler_pending_pods{queue=\"active\"}", "capstan_scheduler_pending_pods{queue=\"backoff\"}")) {
          assertTrue(scrape.contains(series), "missing " + series);
        }
        assertNotNull(scheduler.cache().node("n3"));
        assertEquals(1000, scheduler.cache().node("n3").requested().milliCpu);
      }
    }
  }

  @Test
  void aHighPriorityPodPreemptsALowerOne() throws Exception {
    TopicLayout layout = KafkaFixture.freshLayout(2);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Map<String, Object> kafka = KafkaFixture.clientConfig();
    ProcessorConfig pc = ProcessorConfig.defaults(kafka, layout, KafkaFixture.tempDir("scheduler-preempt"));
    try (CommandProcessor processor = new CommandProcessor(pc, registry);
        SharedInformers informers = new SharedInformers(InformerConfig.defaults(kafka, layout, "scheduler"), registry);
        CommandClient client = new CommandClient(CommandClientConfig.defaults(kafka, layout, "scheduler"), registry)) {
      processor.start();
      processor.awaitRunning(WAIT);
      SystemNamespaces.ensure(client, WAIT);
      Informer<Pod> pods = informers.informerFor(Kinds.POD, Pod.class);
      Informer<Event> events = informers.informerFor(Kinds.EVENT, Event.class);
      try (SchedulerService scheduler = new SchedulerService(SchedulerConfig.defaults(), informers, client, registry,
          Clock.systemUTC())) {
        scheduler.start(WAIT);
        accepted(client.create(node("only", "2", "[]")).get(30, TimeUnit.SECONDS));
        // The victim stops at once when deleted (no grace period), as its own spec says.
        Pod low = KubeJson.<Pod>fromText(Kinds.POD, """
            metadata: {name: low, namespace: default}
            spec:
              priority: 0
              terminationGracePeriodSeconds: 0
              containers: [{name: app, image: busybox, resources: {requests: {cpu: "2"}}}]
            """).object();
        accepted(client.create(low).get(30, TimeUnit.SECONDS));
        await("low bound", () -> pods.get("default", "low").map(SchedulerService::isAssigned).orElse(false));
        // The preemptor's priority comes from its PriorityClass, as the Priority admission plugin resolves it.
        accepted(client.create(KubeJson.<io.capstan.api.PriorityClass>fromText(Kinds.PRIORITY_CLASS, """
            metadata: {name: preempting}
            value: 1000
            """).object()).get(30, TimeUnit.SECONDS));
        Pod high = KubeJson.<Pod>fromText(Kinds.POD, """
            metadata: {name: high, namespace: default}
            spec:
              priorityClassName: preempting
              containers: [{name: app, image: busybox, resources: {requests: {cpu: "2"}}}]
            """).object();
        // Admission reads the classes from a copy each partition follows: the new class may take a moment to show.
        CommandResult[] created = new CommandResult[1];
        await("high admitted", () -> {
          try {
            created[0] = client.create(high).get(30, TimeUnit.SECONDS);
          } catch (Exception e) {
            throw new AssertionError(e);
          }
          return !(created[0] instanceof CommandResult.Rejected r && r.status().getCode() == 403);
        });
        accepted(created[0]);
        await("high bound to only", () -> pods.get("default", "high").map(p -> "only".equals(p.getSpec().getNodeName())).orElse(false));
        assertTrue(pods.get("default", "low").isEmpty(), "the victim is gone");
        await("Preempted event", () -> events.list("default").stream().anyMatch(e -> "Preempted".equals(e.getReason())
            && "low".equals(e.getInvolvedObject().getName()) && e.getMessage().endsWith(" on node only")));
        assertEquals(1.0, registry.find("capstan.scheduler.preemption.victims").counter().count());
      }
    }
  }

  static PodCondition scheduledCondition(Pod p) {
    if (p.getStatus() == null || p.getStatus().getConditions() == null) {
      return null;
    }
    return p.getStatus().getConditions().stream().filter(c -> "PodScheduled".equals(c.getType())).findFirst().orElse(null);
  }
}
