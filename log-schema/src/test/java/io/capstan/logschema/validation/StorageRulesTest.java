package io.capstan.logschema.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.PersistentVolume;
import io.capstan.api.PersistentVolumeClaim;
import io.capstan.api.StorageClass;
import io.capstan.logschema.defaults.ObjectDefaults;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import java.util.List;
import org.apache.avro.generic.IndexedRecord;
import org.junit.jupiter.api.Test;

/** PersistentVolume, PersistentVolumeClaim and StorageClass validation as kube-apiserver words it. */
class StorageRulesTest {
  private static final String CLAIM = """
      metadata: {name: data, namespace: default}
      spec:
        accessModes: [ReadWriteOnce]
        resources: {requests: {storage: 1Gi}}
      """;
  private static final String VOLUME = """
      metadata: {name: pv1}
      spec:
        capacity: {storage: 5Gi}
        accessModes: [ReadWriteOnce]
        hostPath: {path: /srv/pv1}
      """;
  private static final String CLASS = """
      metadata: {name: fast}
      provisioner: capstan.io/local-path
      """;

  private static IndexedRecord object(Kind kind, String yaml) {
    IndexedRecord o = KubeJson.fromJson(kind, KubeJson.parse(yaml)).object();
    ObjectDefaults.apply(o);
    return o;
  }

  private static List<String> errors(Kind kind, String yaml) {
    return ObjectValidator.validate(kind, object(kind, yaml)).stream().map(FieldError::toString).toList();
  }

  private static void assertHas(List<String> errors, String expected) {
    assertTrue(errors.contains(expected), "expected <" + expected + "> in " + errors);
  }

  @Test
  void validObjectsAreDefaultedAsKubernetesDefaultsThem() {
    assertEquals(List.of(), errors(Kinds.PERSISTENT_VOLUME_CLAIM, CLAIM));
    assertEquals(List.of(), errors(Kinds.PERSISTENT_VOLUME, VOLUME));
    assertEquals(List.of(), errors(Kinds.STORAGE_CLASS, CLASS));
    PersistentVolumeClaim pvc = (PersistentVolumeClaim) object(Kinds.PERSISTENT_VOLUME_CLAIM, CLAIM);
    assertEquals("Filesystem", pvc.getSpec().getVolumeMode());
    assertEquals("Pending", pvc.getStatus().getPhase());
    PersistentVolume pv = (PersistentVolume) object(Kinds.PERSISTENT_VOLUME, VOLUME);
    assertEquals("Retain", pv.getSpec().getPersistentVolumeReclaimPolicy());
    assertEquals("Filesystem", pv.getSpec().getVolumeMode());
    assertEquals("Pending", pv.getStatus().getPhase());
    StorageClass sc = (StorageClass) object(Kinds.STORAGE_CLASS, CLASS);
    assertEquals("Delete", sc.getReclaimPolicy());
    assertEquals("Immediate", sc.getVolumeBindingMode());
  }

  @Test
  void aClaimNeedsAccessModesAndAPositiveStorageRequest() {
    List<String> errors = errors(Kinds.PERSISTENT_VOLUME_CLAIM, """
        metadata: {name: data, namespace: default}
        spec: {}
        """);
    assertHas(errors, "spec.accessModes: Required value: at least 1 access mode is required");
    assertHas(errors, "spec.resources[storage]: Required value");
    errors = errors(Kinds.PERSISTENT_VOLUME_CLAIM, CLAIM.replace("[ReadWriteOnce]", "[ReadWriteOncePod, ReadOnlyMany]")
        .replace("1Gi", "0"));
    assertHas(errors, "spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes");
    assertHas(errors, "spec.resources[storage]: Invalid value: \"0\": must be greater than zero");
    assertHas(errors(Kinds.PERSISTENT_VOLUME_CLAIM, CLAIM.replace("ReadWriteOnce", "WriteSometimes")),
        "spec.accessModes: Unsupported value: \"WriteSometimes\": supported values: \"ReadOnlyMany\", \"ReadWriteOnce\", "
            + "\"ReadWriteOncePod\", \"ReadWriteMany\"");
    assertHas(errors(Kinds.PERSISTENT_VOLUME_CLAIM, CLAIM + "  volumeMode: Raw\n"),
        "spec.volumeMode: Unsupported value: \"Raw\": supported values: \"Block\", \"Filesystem\"");
  }

  @Test
  void aVolumeNeedsCapacityModesAndOneSource() {
    List<String> errors = errors(Kinds.PERSISTENT_VOLUME, """
        metadata: {name: pv1}
        spec: {persistentVolumeReclaimPolicy: Keep}
        """);
    assertHas(errors, "spec.accessModes: Required value");
    assertHas(errors, "spec.capacity: Required value");
    assertHas(errors, "spec: Required value: must specify a volume type");
    assertHas(errors, "spec.persistentVolumeReclaimPolicy: Unsupported value: \"Keep\": supported values: \"Delete\", "
        + "\"Recycle\", \"Retain\"");
    assertHas(errors(Kinds.PERSISTENT_VOLUME, VOLUME.replace("hostPath: {path: /srv/pv1}", "local: {path: /srv/pv1}")),
        "spec.nodeAffinity: Required value: Local volume requires node affinity");
    assertHas(errors(Kinds.PERSISTENT_VOLUME, VOLUME.replace("storage: 5Gi", "storage: 5Gi, cpu: '1'")),
        "spec.capacity: Unsupported value: \"[cpu, storage]\": supported values: \"storage\"");
  }

  @Test
  void aClassNeedsAProvisionerAndKnownPolicies() {
    List<String> errors = errors(Kinds.STORAGE_CLASS, """
        metadata: {name: fast}
        reclaimPolicy: Recycle
        volumeBindingMode: Later
        parameters: {maxSize: lots}
        """);
    assertHas(errors, "provisioner: Required value");
    assertHas(errors, "reclaimPolicy: Unsupported value: \"Recycle\": supported values: \"Delete\", \"Retain\"");
    assertHas(errors, "volumeBindingMode: Unsupported value: \"Later\": supported values: \"Immediate\", "
        + "\"WaitForFirstConsumer\"");
    assertTrue(errors.stream().anyMatch(e -> e.startsWith("parameters[maxSize]: Invalid value: \"lots\"")), errors.toString());
  }

  @Test
  void aClaimSpecIsImmutableButABoundClaimMayGrow() {
    PersistentVolumeClaim stored = (PersistentVolumeClaim) object(Kinds.PERSISTENT_VOLUME_CLAIM, CLAIM);
    PersistentVolumeClaim modes = (PersistentVolumeClaim) object(Kinds.PERSISTENT_VOLUME_CLAIM,
        CLAIM.replace("ReadWriteOnce", "ReadWriteMany"));
    assertEquals(List.of("spec: Forbidden: spec is immutable after creation except resources.requests and "
        + "volumeAttributesClassName for bound claims"),
        StorageRules.checkUpdate(stored, modes).stream().map(FieldError::toString).toList());
    PersistentVolumeClaim bigger = (PersistentVolumeClaim) object(Kinds.PERSISTENT_VOLUME_CLAIM,
        CLAIM.replace("1Gi", "2Gi"));
    assertEquals(1, StorageRules.checkUpdate(stored, bigger).size(), "a pending claim cannot change its request");
    stored.getStatus().setPhase("Bound");
    assertEquals(List.of(), StorageRules.checkUpdate(stored, bigger));
    PersistentVolumeClaim smaller = (PersistentVolumeClaim) object(Kinds.PERSISTENT_VOLUME_CLAIM,
        CLAIM.replace("1Gi", "512Mi"));
    assertEquals(List.of("spec.resources.requests.storage: Forbidden: field can not be less than previous value"),
        StorageRules.checkUpdate(stored, smaller).stream().map(FieldError::toString).toList());
    PersistentVolumeClaim named = (PersistentVolumeClaim) object(Kinds.PERSISTENT_VOLUME_CLAIM,
        CLAIM + "  volumeName: pv1\n  storageClassName: local-path\n");
    assertEquals(List.of(), StorageRules.checkUpdate(stored, named), "the binder's volumeName, a first class");
  }

  @Test
  void aClassKeepsItsProvisionerParametersAndModes() {
    StorageClass stored = (StorageClass) object(Kinds.STORAGE_CLASS, CLASS);
    StorageClass changed = (StorageClass) object(Kinds.STORAGE_CLASS, CLASS.replace("capstan.io/local-path",
        "example.com/other") + "reclaimPolicy: Retain\nvolumeBindingMode: WaitForFirstConsumer\nparameters: {a: b}\n");
    assertEquals(List.of("parameters: Forbidden: updates to parameters are forbidden.",
        "provisioner: Forbidden: updates to provisioner are forbidden.",
        "reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden.",
        "volumeBindingMode: Invalid value: \"WaitForFirstConsumer\": field is immutable"),
        StorageRules.checkUpdate(stored, changed).stream().map(FieldError::toString).toList());
    StorageClass expandable = (StorageClass) object(Kinds.STORAGE_CLASS, CLASS + "allowVolumeExpansion: true\n");
    assertEquals(List.of(), StorageRules.checkUpdate(stored, expandable));
  }

  @Test
  void aVolumeKeepsItsSource() {
    PersistentVolume stored = (PersistentVolume) object(Kinds.PERSISTENT_VOLUME, VOLUME);
    PersistentVolume moved = (PersistentVolume) object(Kinds.PERSISTENT_VOLUME, VOLUME.replace("/srv/pv1", "/srv/pv2"));
    assertEquals(List.of("spec.persistentvolumesource: Forbidden: spec.persistentvolumesource is immutable after "
        + "creation"), StorageRules.checkUpdate(stored, moved).stream().map(FieldError::toString).toList());
  }
}
