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

      // The quota's status changes came with events, one per charge; the create reply carried the pod.
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
    byte[] b = h.objectStore().get("ResourceQuota/ns/q");
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
