package io.capstan.stateviews.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.capstan.api.Container;
import io.capstan.api.Namespace;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodSpec;
import io.capstan.api.ResourceQuota;
import io.capstan.api.ResourceQuotaSpec;
import io.capstan.api.ResourceRequirements;
import io.capstan.log.Command;
import io.capstan.log.CommandOp;
import io.capstan.log.ErrorStatus;
import io.capstan.log.QuotaStep;
import io.capstan.log.QuotaStepOp;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.topics.ObjectPartitioner;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.InformerConfig;
import io.capstan.stateviews.informer.SharedInformers;
import io.capstan.stateviews.testing.KafkaFixture;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * ResourceQuota admission on the real broker, with pods spread over four partitions and the
 * quota on one of them: concurrent creates from several clients never overshoot the quota,
 * refusals read as kube-apiserver's, and charges are released when a pod goes or a charged
 * create is refused after all.
 */
class QuotaAdmissionKafkaTest {
  private static final int PARTITIONS = 4;
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String NS = "team";
  private static final String EXCEEDED = "exceeded quota: compute, requested: pods=1,requests.cpu=500m,"
      + " used: pods=5,requests.cpu=2500m, limited: pods=5,requests.cpu=2500m";

  @Test
  void concurrentCreatesAdmitExactlyTheQuotaAndReleasesLetNewPodsIn() throws Exception {
    TopicLayout layout = KafkaFixture.freshLayout(PARTITIONS);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Map<String, Object> kafka = KafkaFixture.clientConfig();
    ProcessorConfig pc = ProcessorConfig.defaults(kafka, layout, KafkaFixture.tempDir("quota-it"));
    List<CommandClient> clients = new ArrayList<>();
    try (CommandProcessor processor = new CommandProcessor(pc, registry);
        SharedInformers informers = new SharedInformers(InformerConfig.defaults(kafka, layout, "quota-it"), registry)) {
      for (int i = 0; i < 4; i++) {
        clients.add(new CommandClient(CommandClientConfig.defaults(kafka, layout, "quota-it-" + i), registry));
      }
      CommandClient client = clients.get(0);
      processor.start();
      processor.awaitRunning(Duration.ofSeconds(60));
      Informer<ResourceQuota> quotas = informers.informerFor(Kinds.RESOURCE_QUOTA, ResourceQuota.class);
      informers.start();
      assertTrue(informers.awaitSynced(WAIT));

      accepted(client.create(Namespace.newBuilder().setMetadata(ObjectMeta.newBuilder().setName(NS).build()).build()));
      ResourceQuota quota = ResourceQuota.newBuilder()
          .setMetadata(ObjectMeta.newBuilder().setNamespace(NS).setName("compute").build())
          .setSpec(ResourceQuotaSpec.newBuilder().setHard(Map.of("pods", "5", "requests.cpu", "2500m")).build())
          .build();
      ResourceQuota created = awaitAccepted(client, () -> client.create(quota)).objectAs(ResourceQuota.class);
      // The writer fills status at once: hard from spec, used zero.
      assertEquals(Map.of("pods", "5", "requests.cpu", "2500m"), created.getStatus().getHard());
      assertEquals(Map.of("pods", "0", "requests.cpu", "0"), created.getStatus().getUsed());
      int quotaPartition = ObjectPartitioner.partition("ResourceQuota/" + NS + "/compute", PARTITIONS);

      // A pod that states no cpu request is refused before any charge, once the quota is visible everywhere.
      ErrorStatus missing = awaitRejected(client, () -> client.create(pod("nores", null)), s -> s.getCode() == 403);
      assertEquals("Forbidden", missing.getReason());
      assertEquals("pods \"nores\" is forbidden: failed quota: compute: must specify requests.cpu for: app",
          missing.getMessage());

      // 20 creates at once from four clients against pods: 5.
      List<CompletableFuture<CommandResult>> results = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        results.add(clients.get(i % clients.size()).create(pod("web-" + i, "500m")));
      }
      List<String> admitted = new ArrayList<>();
      int refused = 0;
      boolean otherPartition = false;
      for (int i = 0; i < 20; i++) {
        CommandResult r = results.get(i).get(60, TimeUnit.SECONDS);
        if (r instanceof CommandResult.Accepted a) {
          admitted.add("web-" + i);
          otherPartition |= a.partition() != quotaPartition;
        } else {
          ErrorStatus s = ((CommandResult.Rejected) r).status();
          assertEquals(403, s.getCode(), s.getMessage());
          assertEquals("Forbidden", s.getReason());
          assertEquals("pods \"web-" + i + "\" is forbidden: " + EXCEEDED, s.getMessage());
          refused++;
        }
      }
      assertEquals(5, admitted.size(), "admitted " + admitted);
      assertEquals(15, refused);
      assertTrue(otherPartition || admitted.stream().anyMatch(n ->
          ObjectPartitioner.partition("Pod/" + NS + "/" + n, PARTITIONS) != quotaPartition),
          "some admitted pod lives on another partition than its quota");
      awaitUsed(quotas, Map.of("pods", "5", "requests.cpu", "2500m"));

      // Deleting a pod releases its charge: the very next create fits (the release is ahead of its charge).
      assertTrue(accepted(client.delete(Kinds.POD, NS, admitted.get(0), null)).deleted());
      accepted(client.create(pod("after-delete", "500m")));
      awaitUsed(quotas, Map.of("pods", "5", "requests.cpu", "2500m"));
      ErrorStatus full = rejected(client.create(pod("one-too-many", "500m")));
      assertEquals("pods \"one-too-many\" is forbidden: " + EXCEEDED, full.getMessage());

      // A charged create that its own partition refuses gives its charge back. Here: a hand-made
      // charge step, sent past the object's partition, so no create of its request waits there;
      // such a charged create is never applied (it could bring back a deleted object's uid).
      assertTrue(accepted(client.delete(Kinds.POD, NS, admitted.get(1), null)).deleted());
      awaitUsed(quotas, Map.of("pods", "4", "requests.cpu", "2"));
      ErrorStatus stray = rejected(client.send(handMadeCharge(invalidPod("bad"))));
      assertEquals(409, stray.getCode(), stray.getMessage());
      assertTrue(stray.getMessage().contains("is not waiting here any more"), stray.getMessage());
      awaitUsed(quotas, Map.of("pods", "4", "requests.cpu", "2"));
      accepted(client.create(pod("after-release", "500m")));
      awaitUsed(quotas, Map.of("pods", "5", "requests.cpu", "2500m"));

      String scrape = registry.scrape();
      assertTrue(scrape.contains("capstan_quota_charges_total{result=\"exceeded\"} 16.0"), scrape);
      assertTrue(scrape.contains("capstan_quota_charges_total{result=\"admitted\"} 8.0"), scrape);
    } finally {
      clients.forEach(CommandClient::close);
    }
  }

  // ---- helpers ----

  private static Pod pod(String name, String cpu) {
    Container.Builder c = Container.newBuilder().setName("app").setImage("busybox");
    if (cpu != null) {
      c.setResources(ResourceRequirements.newBuilder().setRequests(Map.of("cpu", cpu)).build());
    }
    return Pod.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace(NS).setName(name).build())
        .setSpec(PodSpec.newBuilder().setContainers(List.of(c.build())).build())
        .build();
  }

  /** A pod validation refuses: a container without an image. */
  private static Pod invalidPod(String name) {
    Pod p = pod(name, "500m");
    p.getSpec().getContainers().get(0).setImage("");
    return p;
  }

  /** What the pod's partition would send the quota, for a pod it never validated. */
  private static Command handMadeCharge(Pod p) {
    QuotaStep step = QuotaStep.newBuilder().setOp(QuotaStepOp.CHARGE).setObjectKind("Pod")
        .setObjectName(p.getMetadata().getName()).setObjectUid(UUID.randomUUID().toString())
        .setUsage(new HashMap<>(Map.of("pods", "1", "count/pods", "1", "cpu", "500m", "requests.cpu", "500m")))
        .setQuotas(List.of("compute")).build();
    return Command.newBuilder().setRequestId(UUID.randomUUID().toString()).setClientId("")
        .setOp(CommandOp.UPDATE_STATUS).setKind("ResourceQuota").setNamespace(NS).setName("compute")
        .setObject(ByteBuffer.wrap(LogCodec.get().encode(p))).setQuota(step).build();
  }

  private static void awaitUsed(Informer<ResourceQuota> quotas, Map<String, String> used) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    Map<String, String> last = null;
    while (System.nanoTime() < deadline) {
      ResourceQuota q = quotas.get(NS, "compute").orElse(null);
      last = q == null || q.getStatus() == null ? null : q.getStatus().getUsed();
      if (used.equals(last)) {
        return;
      }
      Thread.sleep(20);
    }
    fail("status.used of quota compute is " + last + ", expected " + used);
  }

  private static CommandResult.Accepted accepted(CompletableFuture<CommandResult> f) throws Exception {
    CommandResult r = f.get(60, TimeUnit.SECONDS);
    if (r instanceof CommandResult.Rejected rej) {
      fail("refused: " + rej.status().getCode() + " " + rej.status().getMessage());
    }
    return (CommandResult.Accepted) r;
  }

  private static ErrorStatus rejected(CompletableFuture<CommandResult> f) throws Exception {
    CommandResult r = f.get(60, TimeUnit.SECONDS);
    return assertInstanceOf(CommandResult.Rejected.class, r, () -> "expected a refusal, got " + r).status();
  }

  /** Creates in a namespace made a moment ago may see 404 until the namespace table reaches their partition. */
  private static CommandResult.Accepted awaitAccepted(CommandClient client,
      java.util.function.Supplier<CompletableFuture<CommandResult>> send) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      CommandResult r = send.get().get(60, TimeUnit.SECONDS);
      if (r instanceof CommandResult.Accepted a) {
        return a;
      }
      if (System.nanoTime() > deadline) {
        fail("still refused: " + ((CommandResult.Rejected) r).status().getMessage());
      }
      Thread.sleep(20);
    }
  }

  private static ErrorStatus awaitRejected(CommandClient client,
      java.util.function.Supplier<CompletableFuture<CommandResult>> send, Predicate<ErrorStatus> wanted) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      CommandResult r = send.get().get(60, TimeUnit.SECONDS);
      if (r instanceof CommandResult.Rejected rej && wanted.test(rej.status())) {
        return rej.status();
      }
      if (r instanceof CommandResult.Accepted) {
        fail("accepted while the quota should refuse it");
      }
      if (System.nanoTime() > deadline) {
        fail("not refused as expected: " + ((CommandResult.Rejected) r).status().getMessage());
      }
      Thread.sleep(20);
    }
  }
}
