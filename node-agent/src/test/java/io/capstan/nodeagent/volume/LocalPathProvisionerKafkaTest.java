package io.capstan.nodeagent.volume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.Event;
import io.capstan.api.ObjectMeta;
import io.capstan.api.PersistentVolume;
import io.capstan.api.PersistentVolumeClaim;
import io.capstan.api.StorageClass;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.storage.VolumeClaims;
import io.capstan.nodeagent.AgentCluster;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.InformerConfig;
import io.capstan.stateviews.informer.SharedInformers;
import io.capstan.stateviews.testing.KafkaFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.avro.generic.IndexedRecord;
import org.junit.jupiter.api.Test;

/**
 * A node's local-path provisioner on the real broker, writing as the node ({@code system:node:lp-1},
 * so RBAC and NodeRestriction judge its writes), reports on claims as kube's external provisioners:
 * a claim whose directory cannot be made on the selected node gets a ProvisioningFailed event and is
 * handed back to the scheduler (its {@code volume.kubernetes.io/selected-node} removed); selected
 * again once the node can make it, it is provisioned (ProvisioningSucceeded). A {@code Block} claim
 * is never provisioned and is told so once, its selection kept.
 */
public class LocalPathProvisionerKafkaTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String NODE = "lp-1";

  @Test
  void aClaimTheNodeCannotServeIsHandedBackAndABlockClaimIsRefused() throws Exception {
    Path dataDir = KafkaFixture.tempDir("local-path-failing");
    Path root = dataDir.resolve(LocalPathProvisioner.SUBDIR);
    Files.writeString(root, "a file where the volumes' directory should be"); // no directory can be made under it
    try (AgentCluster cluster = new AgentCluster("localpath");
        CommandClient asNode = new CommandClient(CommandClientConfig.identified(cluster.kafka, cluster.layout,
            "node-" + NODE, CommandClientConfig.NODE_IDENTITY_PREFIX + NODE), cluster.registry)) {
      SharedInformers informers = new SharedInformers(InformerConfig.defaults(cluster.kafka, cluster.layout,
          "localpath-eyes"), cluster.registry);
      Informer<PersistentVolume> volumes = informers.informerFor(Kinds.PERSISTENT_VOLUME, PersistentVolume.class);
      Informer<PersistentVolumeClaim> claims = informers.informerFor(Kinds.PERSISTENT_VOLUME_CLAIM,
          PersistentVolumeClaim.class);
      Informer<StorageClass> classes = informers.informerFor(Kinds.STORAGE_CLASS, StorageClass.class);
      Informer<Event> events = informers.informerFor(Kinds.EVENT, Event.class);
      informers.start();
      assertTrue(informers.awaitSynced(WAIT));
      try {
        accepted(cluster.client.create(KubeJson.fromText(Kinds.STORAGE_CLASS, """
            metadata: {name: local-path}
            provisioner: capstan.io/local-path
            reclaimPolicy: Delete
            volumeBindingMode: WaitForFirstConsumer
            """).object()));
        await("class local-path", () -> classes.get("", "local-path").isPresent());
        accepted(cluster.client.create(claim("data", NODE, "Filesystem")));
        accepted(cluster.client.create(claim("raw", NODE, "Block")));
        await("claims", () -> claims.get("default", "data").isPresent() && claims.get("default", "raw").isPresent());
        PersistentVolumeClaim data = claims.get("default", "data").orElseThrow();
        String volume = LocalPathProvisioner.volumeName(data);

        try (LocalPathProvisioner provisioner = new LocalPathProvisioner(NODE, dataDir, claims, volumes, classes,
            asNode).start()) {
          // The directory cannot be made: the claim says why and goes back to the scheduler.
          await("data's selected node removed", () -> claims.get("default", "data")
              .map(c -> VolumeClaims.annotation(c.getMetadata(), VolumeClaims.SELECTED_NODE).isEmpty()).orElse(false));
          Event failed = awaitEvent(events, "data", "ProvisioningFailed");
          assertEquals("Warning", failed.getType());
          assertTrue(failed.getMessage().startsWith("failed to provision volume " + volume + " on node \"" + NODE
              + "\": cannot make directory " + root.toAbsolutePath().normalize()), failed.getMessage());
          assertEquals("capstan.io/local-path_" + NODE, failed.getSource().getComponent());
          assertEquals("PersistentVolumeClaim", failed.getInvolvedObject().getKind());
          assertEquals(data.getMetadata().getUid(), failed.getInvolvedObject().getUid());
          assertEquals(List.of("kubernetes.io/pvc-protection"), claims.get("default", "data").orElseThrow()
              .getMetadata().getFinalizers(), "nothing else of the claim changed");
          assertTrue(volumes.get("", volume).isEmpty(), "no volume without its directory");

          // A Block claim: refused once, in the library's words; it keeps its node (kube stops provisioning it).
          Event block = awaitEvent(events, "raw", "ProvisioningFailed");
          assertEquals("capstan.io/local-path does not support block volume provisioning", block.getMessage());
          assertEquals("Warning", block.getType());
          provisioner.syncAll();
          provisioner.syncAll();
          assertEquals(1, events(events, "raw", "ProvisioningFailed").size(), "told once");
          PersistentVolumeClaim raw = claims.get("default", "raw").orElseThrow();
          assertEquals(NODE, VolumeClaims.annotation(raw.getMetadata(), VolumeClaims.SELECTED_NODE).orElse(null));
          assertTrue(volumes.get("", LocalPathProvisioner.volumeName(raw)).isEmpty(), "no volume for a Block claim");

          // The node can make directories again and the scheduler picks it again: provisioned.
          Files.delete(root);
          accepted(cluster.client.update(selected(claims.get("default", "data").orElseThrow(), NODE)));
          await("volume " + volume, () -> volumes.get("", volume).isPresent());
          PersistentVolume pv = volumes.get("", volume).orElseThrow();
          assertEquals("data", pv.getSpec().getClaimRef().getName());
          assertTrue(Files.isDirectory(Path.of(pv.getSpec().getHostPath().getPath())), pv.getSpec().getHostPath()
              .getPath());
          Event succeeded = awaitEvent(events, "data", "ProvisioningSucceeded");
          assertEquals("Normal", succeeded.getType());
          assertEquals("Successfully provisioned volume " + volume, succeeded.getMessage());
          assertEquals(1, events(events, "data", "ProvisioningFailed").size(), "the first failure only");
        }
      } finally {
        informers.close();
      }
    }
  }

  /** A 1Gi claim of class local-path that the scheduler selected {@code selectedNode} for. */
  public static IndexedRecord claim(String name, String selectedNode, String volumeMode) {
    return KubeJson.fromText(Kinds.PERSISTENT_VOLUME_CLAIM, """
        metadata:
          name: %s
          namespace: default
          annotations: {volume.kubernetes.io/selected-node: %s}
        spec:
          storageClassName: local-path
          volumeMode: %s
          accessModes: [ReadWriteOnce]
          resources: {requests: {storage: 1Gi}}
        """.formatted(name, selectedNode, volumeMode)).object();
  }

  /** A copy of the claim with its selected node set, as the scheduler's PreBind writes it. */
  private static PersistentVolumeClaim selected(PersistentVolumeClaim claim, String node) {
    PersistentVolumeClaim copy = PersistentVolumeClaim.newBuilder(claim).build();
    Map<String, String> annotations = new HashMap<>(claim.getMetadata().getAnnotations() == null ? Map.of()
        : claim.getMetadata().getAnnotations());
    annotations.put(VolumeClaims.SELECTED_NODE, node);
    copy.setMetadata(ObjectMeta.newBuilder(claim.getMetadata()).setAnnotations(annotations).build());
    return copy;
  }

  private static List<Event> events(Informer<Event> events, String claim, String reason) {
    return events.list().stream().filter(e -> claim.equals(e.getInvolvedObject().getName())
        && "PersistentVolumeClaim".equals(e.getInvolvedObject().getKind()) && reason.equals(e.getReason())).toList();
  }

  private static Event awaitEvent(Informer<Event> events, String claim, String reason) throws InterruptedException {
    await(reason + " event of claim " + claim, () -> !events(events, claim, reason).isEmpty());
    return events(events, claim, reason).get(0);
  }

  private static void accepted(java.util.concurrent.CompletableFuture<CommandResult> write) throws Exception {
    CommandResult r = write.get(30, TimeUnit.SECONDS);
    assertInstanceOf(CommandResult.Accepted.class, r, String.valueOf(r));
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(what + ": not reached in " + WAIT);
      }
      Thread.sleep(100);
    }
  }
}
