package io.capstan.logschema.defaults;

import io.capstan.api.PersistentVolume;
import io.capstan.api.PersistentVolumeClaim;
import io.capstan.api.PersistentVolumeClaimSpec;
import io.capstan.api.PersistentVolumeClaimStatus;
import io.capstan.api.PersistentVolumeSpec;
import io.capstan.api.PersistentVolumeStatus;
import io.capstan.api.StorageClass;

/**
 * The defaults of the storage kinds, as core/v1 SetDefaults_PersistentVolume and
 * SetDefaults_PersistentVolumeClaim (phase Pending, volumeMode Filesystem, a volume made by hand
 * is Retained) and storage/v1 SetDefaults_StorageClass (reclaim Delete, binding Immediate).
 */
public final class StorageDefaults {
  public static final String PENDING = "Pending";
  public static final String FILESYSTEM = "Filesystem";
  public static final String RETAIN = "Retain";
  public static final String DELETE = "Delete";
  public static final String IMMEDIATE = "Immediate";

  private StorageDefaults() {}

  static void persistentVolume(PersistentVolume pv) {
    PersistentVolumeSpec spec = pv.getSpec();
    if (spec == null) {
      spec = new PersistentVolumeSpec();
      pv.setSpec(spec);
    }
    if (spec.getPersistentVolumeReclaimPolicy() == null || spec.getPersistentVolumeReclaimPolicy().isEmpty()) {
      spec.setPersistentVolumeReclaimPolicy(RETAIN);
    }
    if (spec.getVolumeMode() == null) {
      spec.setVolumeMode(FILESYSTEM);
    }
    if (spec.getHostPath() != null && spec.getHostPath().getType() == null) {
      spec.getHostPath().setType(""); // HostPathUnset
    }
    if (pv.getStatus() == null) {
      pv.setStatus(new PersistentVolumeStatus());
    }
    if (pv.getStatus().getPhase() == null || pv.getStatus().getPhase().isEmpty()) {
      pv.getStatus().setPhase(PENDING);
    }
  }

  static void persistentVolumeClaim(PersistentVolumeClaim pvc) {
    PersistentVolumeClaimSpec spec = pvc.getSpec();
    if (spec == null) {
      spec = new PersistentVolumeClaimSpec();
      pvc.setSpec(spec);
    }
    if (spec.getVolumeMode() == null) {
      spec.setVolumeMode(FILESYSTEM);
    }
    if (pvc.getStatus() == null) {
      pvc.setStatus(new PersistentVolumeClaimStatus());
    }
    if (pvc.getStatus().getPhase() == null || pvc.getStatus().getPhase().isEmpty()) {
      pvc.getStatus().setPhase(PENDING);
    }
  }

  static void storageClass(StorageClass sc) {
    if (sc.getReclaimPolicy() == null) {
      sc.setReclaimPolicy(DELETE);
    }
    if (sc.getVolumeBindingMode() == null) {
      sc.setVolumeBindingMode(IMMEDIATE);
    }
  }
}
