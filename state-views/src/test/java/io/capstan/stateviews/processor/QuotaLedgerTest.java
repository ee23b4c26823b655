package io.capstan.stateviews.processor;

import static io.capstan.stateviews.processor.ProcessorHarness.meta;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ConfigMap;
import io.capstan.api.Container;
import io.capstan.api.Pod;
import io.capstan.api.PodSpec;
import io.capstan.api.PodStatus;
import io.capstan.api.ResourceQuota;
import io.capstan.api.ResourceQuotaSpec;
import io.capstan.api.ResourceRequirements;
import io.capstan.log.Command;
import io.capstan.log.EventOp;
import io.capstan.log.QuotaStep;
import io.capstan.log.QuotaStepOp;
import io.capstan.log.Reply;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.quota.ObjectUsage;
import io.capstan.stateviews.processor.quota.QuotaCommands;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The quota's ledger through the whole topology (TopologyTestDriver feeds the processor's own
 * commands back to it): charges are idempotent per object, releases need the object's uid,
 * finished pods shrink to an object count, and status follows spec.hard.
 */
class QuotaLedgerTest {

  @Test
  void chargesReleasesAndRecountsKeepStatusUsedEqualToTheLedger() {
    try (ProcessorHarness h = new ProcessorHarness().withNamespace("ns")) {
      ResourceQuota q = h.accept(h.create(quota(Map.of("pods", "2", "requests.memory", "1Gi", "count/configmaps", "1"))));
      assertEquals(Map.of("pods", "0", "requests.memory", "0", "count/configmaps", "0"), q.getStatus().getUsed());

      Pod a = h.accept(h.create(pod("a", "512Mi")));
      assertEquals(Map.of("pods", "1", "requests.memory", "512Mi", "count/configmaps", "0"), used(h));
      h.accept(h.create(pod("b", "256Mi")));
      assertEquals(Map.of("pods", "2", "requests.memory", "768Mi", "count/configmaps", "0"), used(h));
      Reply c = h.send(h.create(pod("c", "1Mi")));
      assertEquals(403, c.getStatus().getCode());
      assertEquals("pods \"c\" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2",
          c.getStatus().getMessage());

      // A dry run is checked against the quota but charges nothing.
      Command dry = h.create(pod("dry", "1Mi"));
      dry.setDryRun(true);
      assertEquals("pods \"dry\" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2",
          h.send(dry).getStatus().getMessage());

      h.drain();
      // A release with another uid (an older pod of the same name) changes nothing; the right one does, once.
      assertEquals(0, quotaChanges(h, QuotaCommands.release("ns", "q", "Pod", "a", "other-uid", "tester")));
      assertEquals(1, quotaChanges(h, QuotaCommands.release("ns", "q", "Pod", "a", a.getMetadata().getUid(), "tester")));
      assertEquals(0, quotaChanges(h, QuotaCommands.release("ns", "q", "Pod", "a", a.getMetadata().getUid(), "tester")));
      assertEquals(Map.of("pods", "1", "requests.memory", "256Mi", "count/configmaps", "0"), used(h));
      // Recording the same usage again is no change; recording it anew is.
      assertEquals(1, quotaChanges(h, QuotaCommands.record("ns", "q", "Pod", "a", a.getMetadata().getUid(),
          ObjectUsage.ofPod(a), "tester")));
      assertEquals(0, quotaChanges(h, QuotaCommands.record("ns", "q", "Pod", "a", a.getMetadata().getUid(),
          ObjectUsage.ofPod(a), "tester")));
      assertEquals(Map.of("pods", "2", "requests.memory", "768Mi", "count/configmaps", "0"), used(h));

      // A pod that finishes stops counting for pods and memory (still one of count/pods).
      a.setStatus(PodStatus.newBuilder().setPhase("Succeeded").build());
      h.accept(h.updateStatus(a));
      assertEquals(Map.of("pods", "1", "requests.memory", "256Mi", "count/configmaps", "0"), used(h));
      h.accept(h.create(pod("c", "1Mi")));

      // Object counts, and a retried create (same request id) charged once.
      Command cm1 = h.create(ConfigMap.newBuilder().setMetadata(meta("ns", "cm1").build()).build());
      Reply first = h.send(cm1);
      assertTrue(first.getAccepted());
      Reply again = h.send(cm1);
      assertTrue(again.getAccepted());
      assertEquals(first.getResourceVersion(), again.getResourceVersion(), "the original reply");
      assertEquals("1", used(h).get("count/configmaps"));
      Reply cm2 = h.send(h.create(ConfigMap.newBuilder().setMetadata(meta("ns", "cm2").build()).build()));
      assertEquals("configmaps \"cm2\" is forbidden: exceeded quota: q, requested: count/configmaps=1,"
          + " used: count/configmaps=1, limited: count/configmaps=1", cm2.getStatus().getMessage());
      // A configmap of a namespace without quotas is not the quota's business.
      h.withNamespace("free");
      assertTrue(h.send(h.create(ConfigMap.newBuilder().setMetadata(meta("free", "cm2").build()).build())).getAccepted());

      // New hard limits are counted from the ledger at once; status.hard follows spec.hard.
      ResourceQuota stored = ProcessorHarness.CODEC.decode(h.objectStore().get("ResourceQuota/ns/q"), ResourceQuota.class);
      stored.getSpec().setHard(Map.of("count/pods", "10", "limits.cpu", "4"));
      ResourceQuota updated = h.accept(h.update(stored));
      assertEquals(Map.of("count/pods", "10", "limits.cpu", "4"), updated.getStatus().getHard());
      assertEquals(Map.of("count/pods", "3", "limits.cpu", "0"), updated.getStatus().getUsed());

      // Status is the ledger's: a status written by someone else is put back.
      updated.getStatus().setUsed(Map.of("count/pods", "0", "limits.cpu", "0"));
      Reply ignored = h.send(h.updateStatus(updated));
      assertTrue(ignored.getAccepted());
      assertEquals(Map.of("count/pods", "3", "limits.cpu", "0"), used(h));

      // Deleting pods releases them; deleting the quota forgets its ledger.
      assertTrue(h.send(h.delete(Kinds.POD, "ns", "b")).getDeleted());
      assertEquals("2", used(h).get("count/pods"));
      assertTrue(h.send(h.delete(Kinds.RESOURCE_QUOTA, "ns", "q")).getDeleted());
      ResourceQuota again2 = h.accept(h.create(quota(Map.of("count/pods", "10"))));
      assertEquals(Map.of("count/pods", "0"), again2.getStatus().getUsed());
      assertFalse(h.objectStore().get("ResourceQuota/ns/q") == null);
    }
  }

  @Test
  void severalQuotasAreChargedInNameOrderAndARefusalReleasesTheEarlierCharges() {
    try (ProcessorHarness h = new ProcessorHarness().withNamespace("ns")) {
      h.accept(h.create(named("b-memory", Map.of("requests.memory", "1Gi"))));
      h.accept(h.create(named("a-pods", Map.of("pods", "10"))));
      h.accept(h.create(pod("one", "600Mi")));
      assertEquals(Map.of("pods", "1"), used(h, "a-pods"));
      assertEquals(Map.of("requests.memory", "600Mi"), used(h, "b-memory"));
      Reply two = h.send(h.create(pod("two", "600Mi")));
      assertEquals(403, two.getStatus().getCode());
      assertEquals("pods \"two\" is forbidden: exceeded quota: b-memory, requested: requests.memory=600Mi,"
          + " used: requests.memory=600Mi, limited: requests.memory=1Gi", two.getStatus().getMessage());
      // a-pods charged "two" before b-memory refused it, and has given the charge back.
      assertEquals(Map.of("pods", "1"), used(h, "a-pods"));
      assertTrue(h.objectStore().get("Pod/ns/two") == null);
    }
  }

  @Test
  void scopedQuotasChargeOnlyThePodsTheyTrack() {
    try (ProcessorHarness h = new ProcessorHarness().withNamespace("ns")) {
      ResourceQuota q = named("best-effort", Map.of("pods", "1"));
      q.getSpec().setScopes(List.of("BestEffort"));
      h.accept(h.create(q));
      h.accept(h.create(pod("burstable-1", "1Mi")));
      h.accept(h.create(pod("burstable-2", "1Mi")));
      Pod be = pod("be-1", "1Mi");
      be.getSpec().getContainers().get(0).setResources(null);
      h.accept(h.create(be));
      Pod be2 = pod("be-2", "1Mi");
      be2.getSpec().getContainers().get(0).setResources(null);
      Reply refused = h.send(h.create(be2));
      assertEquals("pods \"be-2\" is forbidden: exceeded quota: best-effort, requested: pods=1, used: pods=1,"
          + " limited: pods=1", refused.getStatus().getMessage());
      assertEquals(Map.of("pods", "1"), used(h, "best-effort"));
    }
  }

  static ResourceQuota named(String name, Map<String, String> hard) {
    return ResourceQuota.newBuilder().setMetadata(meta("ns", name).build())
        .setSpec(ResourceQuotaSpec.newBuilder().setHard(hard).build()).build();
  }

  /**
   * A charged create comes back to the object's partition with the uid the quotas charged. One
   * that arrives when no create of its request waits there (its first attempt was answered and
   * forgotten, and the object it made was deleted since) must not be applied: it would make the
   * object again under the deleted one's uid.
   */
  @Test
  void aLateChargedCreateNeverBringsADeletedObjectBackWithItsUid() {
    try (ProcessorHarness h = new ProcessorHarness().withNamespace("ns")) {
      h.accept(h.create(quota(Map.of("count/configmaps", "5"))));
      Command create = h.create(ConfigMap.newBuilder().setMetadata(meta("ns", "z").build()).build());
      ConfigMap made = h.accept(create);
      String uid = made.getMetadata().getUid();
      assertEquals("1", used(h).get("count/configmaps"));
      assertTrue(h.send(h.delete(Kinds.CONFIG_MAP, "ns", "z")).getDeleted());
      assertEquals("0", used(h).get("count/configmaps"), "the delete released the charge");
      h.drain();

      // A charged create of "z" under the deleted object's uid, whose request is not remembered here.
      QuotaStep step = QuotaStep.newBuilder().setOp(QuotaStepOp.CREATE_CHARGED).setObjectKind("ConfigMap")
          .setObjectName("z").setObjectUid(uid).setQuotas(List.of("q")).setCharged(List.of()).build();
      Command late = Command.newBuilder(create).setRequestId("forgotten-request").setQuota(step).build();
      Reply r = h.send(late);
      assertFalse(r.getAccepted(), "applied: " + r);
      assertEquals(409, r.getStatus().getCode());
      assertTrue(r.getStatus().getMessage().contains("is not waiting here any more"), r.getStatus().getMessage());
      assertTrue(h.events().stream().noneMatch(e -> e.getOp() == EventOp.CREATED), "nothing created");
      assertEquals(null, h.objectStore().get("ConfigMap/ns/z"));

      // A create of the name now is a new object, with a new uid, charged once.
      ConfigMap again = h.accept(h.create(ConfigMap.newBuilder().setMetadata(meta("ns", "z").build()).build()));
      assertTrue(!uid.equals(again.getMetadata().getUid()), "a new uid");
      assertEquals("1", used(h).get("count/configmaps"));
    }
  }

  static ResourceQuota quota(Map<String, String> hard) {
    return ResourceQuota.newBuilder().setMetadata(meta("ns", "q").build())
        .setSpec(ResourceQuotaSpec.newBuilder().setHard(hard).build()).build();
  }

  static Pod pod(String name, String memory) {
    return Pod.newBuilder().setMetadata(meta("ns", name).build())
        .setSpec(PodSpec.newBuilder().setContainers(List.of(Container.newBuilder().setName("app").setImage("busybox")
            .setResources(ResourceRequirements.newBuilder().setRequests(Map.of("memory", memory)).build()).build()))
            .build())
        .build();
  }

  private static Map<String, String> used(ProcessorHarness h) {
    return used(h, "q");
  }

  private static Map<String, String> used(ProcessorHarness h, String quota) {
    byte[] b = h.objectStore().get("ResourceQuota/ns/" + quota);
    ResourceQuota q = ProcessorHarness.CODEC.decode(b, ResourceQuota.class);
    return q.getStatus().getUsed();
  }

  /** Sends a ledger step and counts the quota's STATUS_UPDATED events it caused. */
  private static long quotaChanges(ProcessorHarness h, Command step) {
    step.setClientId("ledger-test");
    h.pipe("ResourceQuota/ns/q", ProcessorHarness.CODEC.encode(step));
    h.replies.readRecordsToList();
    return h.events().stream().filter(e -> e.getKind().equals("ResourceQuota") && e.getOp() == EventOp.STATUS_UPDATED)
        .count();
  }
}
