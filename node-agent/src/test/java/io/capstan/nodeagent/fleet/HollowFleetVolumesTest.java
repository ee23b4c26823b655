package io.capstan.nodeagent.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.PersistentVolume;
import io.capstan.api.PersistentVolumeClaim;
import io.capstan.api.PersistentVolumeStatus;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.nodeagent.AgentCluster;
import io.capstan.nodeagent.logs.LogClient;
import io.capstan.nodeagent.volume.LocalPathProvisioner;
import io.capstan.nodeagent.volume.LocalPathProvisionerKafkaTest;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.InformerConfig;
import io.capstan.stateviews.informer.SharedInformers;
import io.capstan.stateviews.testing.KafkaFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.avro.generic.IndexedRecord;
import org.junit.jupiter.api.Test;

/**
 * A hollow fleet provisions local-path volumes for claims whose pods the scheduler put on its
 * nodes, as a runc node does for its own: a volume with node affinity to the selected node,
 * pre-bound to the claim, a directory under the fleet's data dir; a claim selected for a node of
 * no fleet gets nothing; a released volume of policy Delete is deleted, its directory removed.
 */
class HollowFleetVolumesTest {
  @Test
  void claimsOnHollowNodesGetLocalPathVolumes() throws Exception {
    Path dataDir = KafkaFixture.tempDir("fleet-volumes");
    try (AgentCluster cluster = new AgentCluster("fleetvol");
        LogClient logs = new LogClient()) {
      SharedInformers informers = new SharedInformers(InformerConfig.defaults(cluster.kafka, cluster.layout,
          "fleetvol-eyes"), cluster.registry);
      Informer<PersistentVolume> volumes = informers.informerFor(Kinds.PERSISTENT_VOLUME, PersistentVolume.class);
      Informer<PersistentVolumeClaim> claims = informers.informerFor(Kinds.PERSISTENT_VOLUME_CLAIM,
          PersistentVolumeClaim.class);
      informers.start();
      assertTrue(informers.awaitSynced(Duration.ofSeconds(60)));
      accepted(cluster, KubeJson.fromText(Kinds.STORAGE_CLASS, """
          metadata: {name: local-path}
          provisioner: capstan.io/local-path
          reclaimPolicy: Delete
          volumeBindingMode: WaitForFirstConsumer
          """).object());
      accepted(cluster, claim("elsewhere", "real-node-1"));
      accepted(cluster, claim("data", "vol-0002"));

      HollowFleet fleet = new HollowFleet(HollowFleetConfig.defaults(cluster.kafka, cluster.layout, 3, dataDir)
          .withPrefix("vol").withLogServer("127.0.0.1", 0, logs.caFile()), cluster.registry);
      try {
        fleet.start(Duration.ofSeconds(120), (done, total) -> { });
        PersistentVolumeClaim data = await(claims, "data");
        String name = LocalPathProvisioner.volumeName(data);
        HollowFleetTest.await(Duration.ofSeconds(60), "volume " + name, () -> volumes.get("", name).isPresent());
        PersistentVolume pv = volumes.get("", name).orElseThrow();
        assertEquals("data", pv.getSpec().getClaimRef().getName());
        assertEquals(data.getMetadata().getUid(), pv.getSpec().getClaimRef().getUid());
        assertEquals("1Gi", pv.getSpec().getCapacity().get("storage"));
        assertEquals("Delete", pv.getSpec().getPersistentVolumeReclaimPolicy());
        assertEquals(java.util.List.of("vol-0002"), pv.getSpec().getNodeAffinity().getRequired().getNodeSelectorTerms()
            .get(0).getMatchExpressions().get(0).getValues(), "node affinity to the node the claim was selected for");
        Path dir = Path.of(pv.getSpec().getHostPath().getPath());
        assertTrue(dir.startsWith(dataDir.resolve(LocalPathProvisioner.SUBDIR).toAbsolutePath().normalize())
            && Files.isDirectory(dir), dir.toString());

        // A claim selected for a node no fleet serves: nothing provisioned (the pass that made
        // "data"'s volume saw it too, and so did the first pass at start).
        PersistentVolumeClaim elsewhere = await(claims, "elsewhere");
        Thread.sleep(1_000);
        assertTrue(volumes.get("", LocalPathProvisioner.volumeName(elsewhere)).isEmpty(), "no volume for a foreign node");
        assertEquals(1, volumes.list().size(), volumes.list().toString());

        // Released (the binder's phase once the claim is gone), policy Delete: volume and directory go.
        pv.setStatus(PersistentVolumeStatus.newBuilder().setPhase("Released").build());
        accepted(cluster.client.updateStatus(pv).get(30, TimeUnit.SECONDS));
        // (Its pv-protection finalizer, which the PV protection controller drops, keeps it Terminating here.)
        HollowFleetTest.await(Duration.ofSeconds(60), "released volume " + name + " deleted",
            () -> volumes.get("", name).map(v -> v.getMetadata().getDeletionTimestamp() != null).orElse(true));
        assertTrue(!Files.exists(dir), "its directory removed: " + dir);
      } finally {
        fleet.close();
        informers.close();
      }
    }
  }

  private static IndexedRecord claim(String name, String selectedNode) {
    return LocalPathProvisionerKafkaTest.claim(name, selectedNode, "Filesystem");
  }

  private static void accepted(AgentCluster cluster, IndexedRecord object) throws Exception {
    accepted(cluster.client.create(object).get(30, TimeUnit.SECONDS));
  }

  private static void accepted(CommandResult r) {
    assertInstanceOf(CommandResult.Accepted.class, r, String.valueOf(r));
  }

  private static PersistentVolumeClaim await(Informer<PersistentVolumeClaim> claims, String name)
      throws InterruptedException {
    HollowFleetTest.await(Duration.ofSeconds(30), "claim " + name, () -> claims.get("default", name).isPresent());
    return claims.get("default", name).orElseThrow();
  }
}
