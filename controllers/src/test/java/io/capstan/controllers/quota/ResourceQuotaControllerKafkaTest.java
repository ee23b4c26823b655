package io.capstan.controllers.quota;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ConfigMap;
import io.capstan.api.Container;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodSpec;
import io.capstan.api.ResourceQuota;
import io.capstan.api.ResourceQuotaSpec;
import io.capstan.api.ResourceRequirements;
import io.capstan.controllers.testing.Cluster;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.resource.Quantity;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.processor.quota.QuotaCommands;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The quota controller on the real broker: a quota created after its objects shows their usage
 * within seconds, a ledger entry whose object never existed is pruned, and the quota then
 * admits by the recounted usage.
 */
class ResourceQuotaControllerKafkaTest {
  private static final String NS = "recount";

  @Test
  void aQuotaCreatedAfterItsObjectsCountsThemAndDriftIsPruned() throws Exception {
    try (Cluster cluster = new Cluster("quota-ctl-it", 3);
        ResourceQuotaController qc = new ResourceQuotaController(cluster.informers, cluster.writer,
            Duration.ofSeconds(30), 1, cluster.registry, Duration.ofSeconds(1))) {
      Informer<ResourceQuota> quotas = cluster.informers.informerFor(Kinds.RESOURCE_QUOTA, ResourceQuota.class);
      Informer<Pod> pods = cluster.informers.informerFor(Kinds.POD, Pod.class);
      cluster.startInformers();
      qc.start();
      cluster.namespace(NS);
      for (int i = 0; i < 3; i++) {
        cluster.create(pod("pre-" + i, "300m"));
      }
      cluster.create(ConfigMap.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace(NS).setName("a").build()).build());
      cluster.create(ConfigMap.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace(NS).setName("b").build()).build());
      Cluster.await("pods cached", () -> pods.list(NS).size() == 3);

      long created = System.nanoTime();
      cluster.create(ResourceQuota.newBuilder()
          .setMetadata(ObjectMeta.newBuilder().setNamespace(NS).setName("compute").build())
          .setSpec(ResourceQuotaSpec.newBuilder().setHard(Map.of("pods", "4", "requests.cpu", "2",
              "count/configmaps", "10")).build())
          .build());
      Map<String, String> full = Map.of("pods", "3", "requests.cpu", "900m", "count/configmaps", "2");
      awaitUsed(quotas, full);
      long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - created);
      assertTrue(seconds < 10, "usage shown " + seconds + " s after the quota was created");

      // Drift: a charge for a pod that does not exist. The controller has its own partition confirm it is gone, which releases it.
      CommandResult r = cluster.client.send(QuotaCommands.record(NS, "compute", "Pod", "ghost", "ghost-uid",
          Map.of("pods", Quantity.of(1), "requests.cpu", Quantity.ofMillis(100)), "test")).get(30, TimeUnit.SECONDS);
      assertInstanceOf(CommandResult.Accepted.class, r, () -> String.valueOf(r));
      awaitUsed(quotas, Map.of("pods", "4", "requests.cpu", "1", "count/configmaps", "2"));
      awaitUsed(quotas, full);

      // The recounted quota admits one more pod and refuses the next, in the write path.
      cluster.create(pod("post-0", "300m"));
      CommandResult refused = cluster.client.create(pod("post-1", "300m")).get(30, TimeUnit.SECONDS);
      CommandResult.Rejected rej = assertInstanceOf(CommandResult.Rejected.class, refused);
      assertEquals("pods \"post-1\" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=4,"
          + " limited: pods=4", rej.status().getMessage());
    }
  }

  private static Pod pod(String name, String cpu) {
    return Pod.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace(NS).setName(name).build())
        .setSpec(PodSpec.newBuilder().setContainers(List.of(Container.newBuilder().setName("app").setImage("busybox")
            .setResources(ResourceRequirements.newBuilder().setRequests(Map.of("cpu", cpu)).build()).build())).build())
        .build();
  }

  private static void awaitUsed(Informer<ResourceQuota> quotas, Map<String, String> used) throws InterruptedException {
    Cluster.await("status.used " + used, () -> quotas.get(NS, "compute")
            .map(q -> q.getStatus() != null && used.equals(q.getStatus().getUsed())).orElse(false),
        () -> String.valueOf(quotas.get(NS, "compute").map(ResourceQuota::getStatus).orElse(null)));
  }
}
