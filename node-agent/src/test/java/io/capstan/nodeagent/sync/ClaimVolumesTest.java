package io.capstan.nodeagent.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ConfigMap;
import io.capstan.api.PersistentVolume;
import io.capstan.api.PersistentVolumeClaim;
import io.capstan.api.Pod;
import io.capstan.api.Secret;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kinds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A persistentVolumeClaim volume: its bound volume's directory, or kubelet's words for why the pod waits. */
class ClaimVolumesTest {
  @TempDir
  Path dir;

  private final Map<String, PersistentVolumeClaim> claims = new HashMap<>();
  private final Map<String, PersistentVolume> volumes = new HashMap<>();
  private final ConfigSource config = new ConfigSource() {
    @Override
    public Optional<ConfigMap> configMap(String namespace, String name) {
      return Optional.empty();
    }

    @Override
    public Optional<Secret> secret(String namespace, String name) {
      return Optional.empty();
    }

    @Override
    public Optional<PersistentVolumeClaim> claim(String namespace, String name) {
      return Optional.ofNullable(claims.get(namespace + "/" + name));
    }

    @Override
    public Optional<PersistentVolume> persistentVolume(String name) {
      return Optional.ofNullable(volumes.get(name));
    }
  };

  private static final Pod POD = KubeJson.<Pod>fromText(Kinds.POD, """
      metadata: {name: p, namespace: default, uid: u1}
      spec:
        containers: [{name: c, image: busybox}]
        volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]
      """).object();

  private void claim(String status, String volumeName) {
    claims.put("default/data", KubeJson.<PersistentVolumeClaim>fromText(Kinds.PERSISTENT_VOLUME_CLAIM, """
        metadata: {name: data, namespace: default}
        spec: {accessModes: [ReadWriteOnce], volumeName: '%s', resources: {requests: {storage: 1Gi}}}
        status: {phase: %s}
        """.formatted(volumeName, status)).object());
  }

  private String refusal() {
    return assertThrows(PodVolumes.MountError.class,
        () -> PodVolumes.prepare(POD, dir.resolve("pod"), config)).getMessage();
  }

  @Test
  void thePodWaitsUntilItsClaimIsBoundThenMountsTheVolumeDirectory() throws Exception {
    String prefix = "Unable to attach or mount volumes: unmounted volumes=[data]: error processing PVC default/data: ";
    assertEquals(prefix + "failed to fetch PVC from API server: persistentvolumeclaims \"data\" not found", refusal());
    claim("Pending", "");
    assertEquals(prefix + "PVC is not bound", refusal());
    claim("Bound", "pv1");
    assertEquals(prefix + "failed to fetch PV \"pv1\" from API server: persistentvolumes \"pv1\" not found", refusal());
    Path volumeDir = dir.resolve("volumes/pv1");
    volumes.put("pv1", KubeJson.<PersistentVolume>fromText(Kinds.PERSISTENT_VOLUME, """
        metadata: {name: pv1}
        spec:
          capacity: {storage: 1Gi}
          accessModes: [ReadWriteOnce]
          hostPath: {path: %s, type: DirectoryOrCreate}
        """.formatted(volumeDir)).object());
    Map<String, Path> mounted = PodVolumes.prepare(POD, dir.resolve("pod"), config);
    assertEquals(volumeDir, mounted.get("data"));
    assertTrue(Files.isDirectory(volumeDir), "a DirectoryOrCreate volume's directory is made");
  }

  /** {@code persistentVolumeClaim.readOnly} makes every mount of the volume read-only, as kubelet does. */
  @Test
  void aReadOnlyClaimIsMountedReadOnlyWhateverTheMountSays() throws Exception {
    Pod pod = KubeJson.<Pod>fromText(Kinds.POD, """
        metadata: {name: p, namespace: default, uid: u1}
        spec:
          containers:
          - name: c
            image: busybox
            volumeMounts: [{name: data, mountPath: /data}, {name: logs, mountPath: /logs},
                           {name: cache, mountPath: /cache, readOnly: true}]
          volumes:
          - {name: data, persistentVolumeClaim: {claimName: data, readOnly: true}}
          - {name: logs, persistentVolumeClaim: {claimName: logs}}
          - {name: cache, emptyDir: {}}
        """).object();
    Map<String, Path> paths = Map.of("data", dir.resolve("d"), "logs", dir.resolve("l"), "cache", dir.resolve("c"));
    Map<String, Boolean> readOnly = new HashMap<>();
    for (var m : PodVolumes.mounts(pod.getSpec().getContainers().get(0), paths, PodVolumes.readOnlyVolumes(pod), dir)) {
      readOnly.put(m.containerPath(), m.readOnly());
    }
    assertEquals(true, readOnly.get("/data"), "the claim's readOnly wins over the mount's default");
    assertEquals(false, readOnly.get("/logs"), "a claim without readOnly is writable");
    assertEquals(true, readOnly.get("/cache"), "a readOnly mount stays read-only");
  }
}
