package io.capstan.scheduler.service;

import static io.capstan.scheduler.service.SchedulerServiceKafkaTest.accepted;
import static io.capstan.scheduler.service.SchedulerServiceKafkaTest.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.capstan.api.Event;
import io.capstan.api.Node;
import io.capstan.api.PersistentVolumeClaim;
import io.capstan.api.PersistentVolumeClaimStatus;
import io.capstan.api.Pod;
import io.capstan.api.PodCondition;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.storage.VolumeClaims;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.scheduler.config.SchedulerConfig;
import io.capstan.stateviews.bootstrap.DefaultStorageClass;
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
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * VolumeBinding's PreBind wait against the real broker and command processor: a pod with a
 * WaitForFirstConsumer claim is bound only once the claim is Bound (the test plays the
 * provisioner); a claim that never binds, or whose selected node the provisioner resets, sends the
 * pod back to the queue with kube's FailedScheduling; a pod without claims binds as before.
 */
class VolumeBindingWaitKafkaTest {
  private static final Duration WAIT = Duration.ofSeconds(90);

  private static Node node(String name) {
    return KubeJson.<Node>fromText(Kinds.NODE, """
        metadata: {name: %s, labels: {kubernetes.io/hostname: %s}}
        status: {allocatable: {cpu: "4", memory: 8Gi, pods: "110"}, capacity: {cpu: "4", memory: 8Gi, pods: "110"}}
        """.formatted(name, name)).object();
  }

  private static PersistentVolumeClaim claim(String name) {
    return KubeJson.<PersistentVolumeClaim>fromText(Kinds.PERSISTENT_VOLUME_CLAIM, """
        metadata: {name: %s, namespace: default}
        spec: {accessModes: [ReadWriteOnce], storageClassName: local-path, resources: {requests: {storage: 1Gi}}}
        """.formatted(name)).object();
  }

  private static Pod pod(String name, String claimName) {
    String volumes = claimName == null ? "[]" : "[{name: data, persistentVolumeClaim: {claimName: " + claimName + "}}]";
    return KubeJson.<Pod>fromText(Kinds.POD, """
        metadata: {name: %s, namespace: default}
        spec:
          containers: [{name: app, image: busybox, resources: {requests: {cpu: 100m, memory: 100Mi}}}]
          volumes: %s
        """.formatted(name, volumes)).object();
  }

  /** Writes a change to the latest copy of a claim, again on a conflict (the informer may lag). */
  private static void change(CommandClient client, Informer<PersistentVolumeClaim> claims, String name, boolean status,
      UnaryOperator<PersistentVolumeClaim> edit) throws InterruptedException {
    await("claim " + name + " written", () -> {
      PersistentVolumeClaim latest = claims.get("default", name).orElseThrow();
      PersistentVolumeClaim changed = edit.apply(PersistentVolumeClaim.newBuilder(latest).build());
      try {
        CommandResult r = (status ? client.updateStatus(changed) : client.update(changed)).get(30, TimeUnit.SECONDS);
        return r instanceof CommandResult.Accepted;
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
  }

  /** What the provisioner and the binder do: the claim names its volume and is Bound. */
  private static void bindClaim(CommandClient client, Informer<PersistentVolumeClaim> claims, String name)
      throws InterruptedException {
    change(client, claims, name, false, c -> {
      c.getSpec().setVolumeName("pvc-" + c.getMetadata().getUid());
      return c;
    });
    await("claim " + name + " names its volume", () -> claims.get("default", name)
        .map(c -> c.getSpec().getVolumeName() != null).orElse(false));
    change(client, claims, name, true, c -> {
      c.setStatus(PersistentVolumeClaimStatus.newBuilder().setPhase(VolumeClaims.BOUND).build());
      return c;
    });
  }

  private static Optional<String> selectedNode(Informer<PersistentVolumeClaim> claims, String name) {
    return claims.get("default", name).flatMap(c -> VolumeClaims.annotation(c.getMetadata(), VolumeClaims.SELECTED_NODE));
  }

  private static String nodeName(Informer<Pod> pods, String name) {
    return pods.get("default", name).map(p -> p.getSpec().getNodeName()).orElse(null);
  }

  private static boolean failedScheduling(Informer<Event> events, String pod, String message) {
    return events.list("default").stream().anyMatch(e -> "FailedScheduling".equals(e.getReason())
        && pod.equals(e.getInvolvedObject().getName()) && message.equals(e.getMessage()));
  }

  private interface Body {
    void run(SchedulerService scheduler, CommandClient client, Informer<Pod> pods,
        Informer<PersistentVolumeClaim> claims, Informer<Event> events) throws Exception;
  }

  private static void withScheduler(String dir, SchedulerConfig config, Body body) throws Exception {
    TopicLayout layout = KafkaFixture.freshLayout(2);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Map<String, Object> kafka = KafkaFixture.clientConfig();
    ProcessorConfig pc = ProcessorConfig.defaults(kafka, layout, KafkaFixture.tempDir(dir));
    try (CommandProcessor processor = new CommandProcessor(pc, registry);
        SharedInformers informers = new SharedInformers(InformerConfig.defaults(kafka, layout, "scheduler"), registry);
        CommandClient client = new CommandClient(CommandClientConfig.defaults(kafka, layout, "scheduler"), registry)) {
      processor.start();
      processor.awaitRunning(WAIT);
      SystemNamespaces.ensure(client, WAIT);
      DefaultStorageClass.ensure(client, WAIT);
      Informer<Pod> pods = informers.informerFor(Kinds.POD, Pod.class);
      Informer<PersistentVolumeClaim> claims = informers.informerFor(Kinds.PERSISTENT_VOLUME_CLAIM, PersistentVolumeClaim.class);
      Informer<Event> events = informers.informerFor(Kinds.EVENT, Event.class);
      try (SchedulerService scheduler = new SchedulerService(config, informers, client, registry, Clock.systemUTC())) {
        scheduler.start(WAIT);
        accepted(client.create(node("n1")).get(30, TimeUnit.SECONDS));
        await("n1 in the cache", () -> scheduler.cache().nodeCount() == 1);
        body.run(scheduler, client, pods, claims, events);
      }
    }
  }

  @Test
  void aPodIsBoundOnlyOnceItsClaimIsBound() throws Exception {
    withScheduler("volwait-bound", SchedulerConfig.defaults(), (scheduler, client, pods, claims, events) -> {
      // A pod without claims binds as before.
      accepted(client.create(pod("plain", null)).get(30, TimeUnit.SECONDS));
      await("plain bound", () -> "n1".equals(nodeName(pods, "plain")));

      accepted(client.create(claim("data")).get(30, TimeUnit.SECONDS));
      accepted(client.create(pod("db", "data")).get(30, TimeUnit.SECONDS));
      await("data names n1", () -> selectedNode(claims, "data").equals(Optional.of("n1")));
      // Nobody provisions yet: the pod stays unbound, and the loop schedules others meanwhile.
      accepted(client.create(pod("plain2", null)).get(30, TimeUnit.SECONDS));
      await("plain2 bound while db waits", () -> "n1".equals(nodeName(pods, "plain2")));
      Thread.sleep(2000);
      assertNull(nodeName(pods, "db"), "db is not bound before its claim");

      bindClaim(client, claims, "data");
      await("db bound to n1", () -> "n1".equals(nodeName(pods, "db")));
      await("Scheduled event for db", () -> events.list("default").stream().anyMatch(e ->
          "Scheduled".equals(e.getReason()) && "Successfully assigned default/db to n1".equals(e.getMessage())));

      // The provisioner gives up on the node (removes selected-node): the pod is not bound, it is
      // scheduled again, the claim names a node again, and once Bound the pod is bound.
      accepted(client.create(claim("again")).get(30, TimeUnit.SECONDS));
      accepted(client.create(pod("retry", "again")).get(30, TimeUnit.SECONDS));
      await("again names n1", () -> selectedNode(claims, "again").isPresent());
      change(client, claims, "again", false, c -> {
        Map<String, String> a = new HashMap<>(c.getMetadata().getAnnotations());
        a.remove(VolumeClaims.SELECTED_NODE);
        c.getMetadata().setAnnotations(a);
        return c;
      });
      String reset = "running PreBind plugin \"VolumeBinding\": binding volumes: selectedNode annotation reset for PVC \"again\"";
      await("FailedScheduling for retry", () -> failedScheduling(events, "retry", reset));
      assertNull(nodeName(pods, "retry"));
      await("again names n1 once more", () -> selectedNode(claims, "again").equals(Optional.of("n1")));
      bindClaim(client, claims, "again");
      await("retry bound to n1", () -> "n1".equals(nodeName(pods, "retry")));
      await("no waits left", () -> scheduler.claimWaitsPending() == 0);
    });
  }

  @Test
  void aClaimThatNeverBindsSendsThePodBackToTheQueue() throws Exception {
    SchedulerConfig config = SchedulerConfig.defaults().withBindTimeout(Duration.ofSeconds(3));
    withScheduler("volwait-timeout", config, (scheduler, client, pods, claims, events) -> {
      accepted(client.create(claim("never")).get(30, TimeUnit.SECONDS));
      accepted(client.create(pod("stuck", "never")).get(30, TimeUnit.SECONDS));
      String timedOut = "running PreBind plugin \"VolumeBinding\": binding volumes: timed out waiting for the condition";
      await("FailedScheduling for stuck", () -> failedScheduling(events, "stuck", timedOut));
      await("PodScheduled=False on stuck", () -> pods.get("default", "stuck")
          .map(SchedulerServiceKafkaTest::scheduledCondition).map(c -> "False".equals(c.getStatus())).orElse(false));
      PodCondition c = SchedulerServiceKafkaTest.scheduledCondition(pods.get("default", "stuck").orElseThrow());
      assertEquals("SchedulerError", c.getReason());
      assertEquals(timedOut, c.getMessage());
      assertNull(nodeName(pods, "stuck"), "not bound");
      assertEquals(Optional.of("n1"), selectedNode(claims, "never"));
      // Back in the queue (backoff, or being tried again): never forgotten.
      String where = scheduler.queue().whereIs("default/stuck");
      assertNotNull(where, "stuck is in the queue");
      assertEquals(0, scheduler.cache().podCount(), "the placement is forgotten");
      // A pod without claims still binds at once.
      accepted(client.create(pod("plain", null)).get(30, TimeUnit.SECONDS));
      await("plain bound", () -> "n1".equals(nodeName(pods, "plain")));
    });
  }
}
