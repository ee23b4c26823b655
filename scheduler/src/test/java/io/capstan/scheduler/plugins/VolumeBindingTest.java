package io.capstan.scheduler.plugins;

import static io.capstan.scheduler.TestObjects.nodeInfo;
import static io.capstan.scheduler.TestObjects.podInfo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.capstan.api.PersistentVolume;
import io.capstan.api.PersistentVolumeClaim;
import io.capstan.api.StorageClass;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.scheduler.algorithm.FitError;
import io.capstan.scheduler.algorithm.ScheduleAlgorithm;
import io.capstan.scheduler.config.PluginRegistry;
import io.capstan.scheduler.config.SchedulerConfig;
import io.capstan.scheduler.framework.ClusterSnapshot;
import io.capstan.scheduler.framework.PodInfo;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** VolumeBinding: claims that must exist, bound volumes' node affinity, WaitForFirstConsumer claims placed by the node. */
class VolumeBindingTest {
  private final Map<String, PersistentVolumeClaim> claims = new HashMap<>();
  private final Map<String, PersistentVolume> volumes = new HashMap<>();
  private final Map<String, StorageClass> classes = new HashMap<>();
  private final VolumeBinding.Listers listers = new VolumeBinding.Listers() {
    @Override
    public Optional<PersistentVolumeClaim> claim(String namespace, String name) {
      return Optional.ofNullable(claims.get(namespace + "/" + name));
    }

    @Override
    public Optional<PersistentVolume> volume(String name) {
      return Optional.ofNullable(volumes.get(name));
    }

    @Override
    public Collection<PersistentVolume> volumes() {
      return volumes.values();
    }

    @Override
    public Optional<StorageClass> storageClass(String name) {
      return Optional.ofNullable(classes.get(name));
    }
  };
  private final ScheduleAlgorithm algorithm = new ScheduleAlgorithm(
      PluginRegistry.profile(SchedulerConfig.defaults(), listers), 100, new Random(1));
  private final ClusterSnapshot twoNodes = ClusterSnapshot.of(List.of(nodeInfo("a", "4", "8Gi"), nodeInfo("b", "4", "8Gi")));

  private void claim(String yaml) {
    PersistentVolumeClaim c = KubeJson.<PersistentVolumeClaim>fromText(Kinds.PERSISTENT_VOLUME_CLAIM, yaml).object();
    claims.put(c.getMetadata().getNamespace() + "/" + c.getMetadata().getName(), c);
  }

  private void volume(String yaml) {
    PersistentVolume v = KubeJson.<PersistentVolume>fromText(Kinds.PERSISTENT_VOLUME, yaml).object();
    volumes.put(v.getMetadata().getName(), v);
  }

  private void storageClass(String name, String mode, String provisioner) {
    classes.put(name, KubeJson.<StorageClass>fromText(Kinds.STORAGE_CLASS, """
        metadata: {name: %s}
        provisioner: %s
        volumeBindingMode: %s
        """.formatted(name, provisioner, mode)).object());
  }

  private static PodInfo podUsing(String claim) {
    return podInfo("""
        metadata: {name: p, namespace: default}
        spec:
          containers: [{name: c}]
          volumes: [{name: data, persistentVolumeClaim: {claimName: %s}}]
        """.formatted(claim));
  }

  private static String pinnedVolume(String name, String node, String claimRef) {
    return """
        metadata: {name: %s}
        spec:
          capacity: {storage: 1Gi}
          accessModes: [ReadWriteOnce]
          storageClassName: local
          hostPath: {path: /srv/%s}
          %s
          nodeAffinity:
            required:
              nodeSelectorTerms:
              - matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [%s]}]
        status: {phase: Available}
        """.formatted(name, name, claimRef, node);
  }

  @Test
  void aMissingOrImmediateUnboundClaimKeepsThePodPending() {
    FitError e = assertThrows(FitError.class, () -> algorithm.schedule(podUsing("data"), twoNodes));
    assertEquals("0/2 nodes are available: persistentvolumeclaim \"data\" not found.", e.getMessage());
    storageClass("now", "Immediate", "example.com/now");
    claim("""
        metadata: {name: data, namespace: default}
        spec: {accessModes: [ReadWriteOnce], storageClassName: now, resources: {requests: {storage: 1Gi}}}
        """);
    e = assertThrows(FitError.class, () -> algorithm.schedule(podUsing("data"), twoNodes));
    assertEquals("0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims.", e.getMessage());
  }

  @Test
  void aBoundLocalVolumePinsThePodToItsNode() throws FitError {
    volume(pinnedVolume("pv-b", "b", "claimRef: {namespace: default, name: data, uid: u1}"));
    claim("""
        metadata: {name: data, namespace: default, uid: u1}
        spec: {accessModes: [ReadWriteOnce], volumeName: pv-b, resources: {requests: {storage: 1Gi}}}
        status: {phase: Bound}
        """);
    for (int i = 0; i < 5; i++) {
      assertEquals("b", algorithm.schedule(podUsing("data"), twoNodes).node());
    }
    ClusterSnapshot onlyA = ClusterSnapshot.of(List.of(nodeInfo("a", "4", "8Gi")));
    FitError e = assertThrows(FitError.class, () -> algorithm.schedule(podUsing("data"), onlyA));
    assertEquals("0/1 nodes are available: 1 node(s) had volume node affinity conflict.", e.getMessage());
  }

  @Test
  void waitForFirstConsumerFindsANodeWithAVolumeOrAProvisioner() throws FitError {
    storageClass("local", "WaitForFirstConsumer", "kubernetes.io/no-provisioner");
    claim("""
        metadata: {name: data, namespace: default}
        spec: {accessModes: [ReadWriteOnce], storageClassName: local, resources: {requests: {storage: 1Gi}}}
        """);
    FitError e = assertThrows(FitError.class, () -> algorithm.schedule(podUsing("data"), twoNodes));
    assertEquals("0/2 nodes are available: 2 node(s) didn't find available persistent volumes to bind.",
        e.getMessage());
    volume(pinnedVolume("pv-a", "a", ""));
    for (int i = 0; i < 5; i++) {
      assertEquals("a", algorithm.schedule(podUsing("data"), twoNodes).node(), "the node its free volume is on");
    }
    VolumeBinding plugin = new VolumeBinding(listers);
    assertEquals(List.of("data"), plugin.claimsToPlace(podUsing("data")).stream()
        .map(c -> c.getMetadata().getName()).toList(), "PreBind names the node on the claim");

    // A provisioning class: any node will do, and the claim is placed where the pod goes.
    storageClass("local-path", "WaitForFirstConsumer", "capstan.io/local-path");
    claim("""
        metadata: {name: made, namespace: default}
        spec: {accessModes: [ReadWriteOnce], storageClassName: local-path, resources: {requests: {storage: 1Gi}}}
        """);
    algorithm.schedule(podUsing("made"), twoNodes);
    claim("""
        metadata: {name: made, namespace: default, annotations: {volume.kubernetes.io/selected-node: a}}
        spec: {accessModes: [ReadWriteOnce], storageClassName: local-path, resources: {requests: {storage: 1Gi}}}
        """);
    assertEquals(List.of(), plugin.claimsToPlace(podUsing("made")), "a claim that names its node already is left");
  }
}
