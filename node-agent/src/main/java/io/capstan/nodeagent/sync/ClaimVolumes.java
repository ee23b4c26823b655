package io.capstan.nodeagent.sync;

import io.capstan.api.PersistentVolume;
import io.capstan.api.PersistentVolumeClaim;
import io.capstan.api.Pod;
import io.capstan.api.Volume;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A pod's persistentVolumeClaim volume on this node: the directory of the volume its claim is
 * bound to (a hostPath or local volume), bind-mounted into the containers. Until the claim exists,
 * is bound and its volume is known the pod waits in ContainerCreating, with kubelet's FailedMount
 * words for why.
 */
final class ClaimVolumes {
  private ClaimVolumes() {}

  static Path hostPath(Pod pod, Volume v, ConfigSource config) throws PodVolumes.MountError, IOException {
    String ns = pod.getMetadata().getNamespace();
    String claimName = v.getPersistentVolumeClaim().getClaimName();
    String failed = "Unable to attach or mount volumes: unmounted volumes=[" + v.getName() + "]: error processing PVC "
        + ns + "/" + claimName + ": ";
    Optional<PersistentVolumeClaim> claim = config.claim(ns, claimName);
    if (claim.isEmpty()) {
      throw new PodVolumes.MountError(failed + "failed to fetch PVC from API server: persistentvolumeclaims \""
          + claimName + "\" not found");
    }
    if (claim.get().getMetadata().getDeletionTimestamp() != null) {
      throw new PodVolumes.MountError(failed + "can't start pod because PVC " + ns + "/" + claimName
          + " is being deleted");
    }
    String volumeName = claim.get().getSpec() == null ? null : claim.get().getSpec().getVolumeName();
    String phase = claim.get().getStatus() == null ? null : claim.get().getStatus().getPhase();
    if (volumeName == null || volumeName.isEmpty() || !"Bound".equals(phase)) {
      throw new PodVolumes.MountError(failed + "PVC is not bound");
    }
    Optional<PersistentVolume> pv = config.persistentVolume(volumeName);
    if (pv.isEmpty() || pv.get().getSpec() == null) {
      throw new PodVolumes.MountError(failed + "failed to fetch PV \"" + volumeName + "\" from API server: "
          + "persistentvolumes \"" + volumeName + "\" not found");
    }
    var spec = pv.get().getSpec();
    if (spec.getHostPath() != null) {
      Path p = Path.of(spec.getHostPath().getPath());
      if (!Files.exists(p)) {
        String type = spec.getHostPath().getType() == null ? "" : spec.getHostPath().getType();
        if (!type.isEmpty() && !type.equals("DirectoryOrCreate")) {
          throw new PodVolumes.MountError("MountVolume.SetUp failed for volume \"" + volumeName
              + "\" : hostPath type check failed: " + p + " is not a " + type);
        }
        Files.createDirectories(p);
      }
      return p;
    }
    if (spec.getLocal() != null) {
      Path p = Path.of(spec.getLocal().getPath());
      if (!Files.exists(p)) {
        throw new PodVolumes.MountError("MountVolume.NewMounter initialization failed for volume \"" + volumeName
            + "\" : path \"" + p + "\" does not exist");
      }
      return p;
    }
    throw new PodVolumes.MountError("MountVolume.SetUp failed for volume \"" + volumeName
        + "\" : this node mounts hostPath and local persistent volumes only");
  }
}
