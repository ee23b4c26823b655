package io.capstan.stateviews.processor.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.capstan.api.PersistentVolume;
import io.capstan.api.PersistentVolumeClaim;
import io.capstan.api.StorageClass;
import io.capstan.log.ErrorStatus;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kinds;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** DefaultStorageClass, the protection finalizers, claim resize and the class size limit. */
class StorageAdmissionTest {
  private final Map<String, StorageClass> classes = new TreeMap<>();
  private final StorageAdmission admission = new StorageAdmission(new NamedLookup<>() {
    @Override
    public Optional<StorageClass> find(String name) {
      return Optional.ofNullable(classes.get(name));
    }

    @Override
    public Collection<StorageClass> all() {
      return classes.values();
    }
  });

  private void storageClass(String name, String created, boolean isDefault, String extra) {
    classes.put(name, KubeJson.<StorageClass>fromText(Kinds.STORAGE_CLASS, """
        metadata:
          name: %s
          creationTimestamp: "%s"
          annotations: {storageclass.kubernetes.io/is-default-class: "%s"}
        provisioner: example.com/p
        %s
        """.formatted(name, created, isDefault, extra)).object());
  }

  private static PersistentVolumeClaim claim(String className, String size) {
    return KubeJson.<PersistentVolumeClaim>fromText(Kinds.PERSISTENT_VOLUME_CLAIM, """
        metadata: {name: data, namespace: default}
        spec:
          accessModes: [ReadWriteOnce]
          %s
          resources: {requests: {storage: %s}}
        """.formatted(className == null ? "" : "storageClassName: '" + className + "'", size)).object();
  }

  @Test
  void aClaimWithoutAClassGetsTheNewestDefaultAndItsFinalizer() {
    PersistentVolumeClaim none = claim(null, "1Gi");
    admission.mutateCreate(none);
    assertNull(none.getSpec().getStorageClassName(), "no default class: none is set");
    assertEquals(List.of("kubernetes.io/pvc-protection"), none.getMetadata().getFinalizers());
    storageClass("old", "2026-01-01T00:00:00Z", true, "");
    storageClass("new", "2026-02-01T00:00:00Z", true, "");
    storageClass("newest-not-default", "2026-03-01T00:00:00Z", false, "");
    PersistentVolumeClaim c = claim(null, "1Gi");
    admission.mutateCreate(c);
    assertEquals("new", c.getSpec().getStorageClassName());
    PersistentVolumeClaim explicitNone = claim("", "1Gi");
    admission.mutateCreate(explicitNone);
    assertEquals("", explicitNone.getSpec().getStorageClassName(), "\"\" asks for no class");
    PersistentVolume pv = KubeJson.<PersistentVolume>fromText(Kinds.PERSISTENT_VOLUME, "metadata: {name: pv1}").object();
    admission.mutateCreate(pv);
    assertEquals(List.of("kubernetes.io/pv-protection"), pv.getMetadata().getFinalizers());
  }

  @Test
  void aClassCapsItsClaimsAndOnlyAnExpandableClassLetsThemGrow() {
    storageClass("capped", "2026-01-01T00:00:00Z", false, "parameters: {maxSize: 1Gi}");
    storageClass("fixed", "2026-01-01T00:00:00Z", false, "");
    assertNull(admission.admitCreate(claim("capped", "1Gi")));
    ErrorStatus big = admission.admitCreate(claim("capped", "1025Mi"));
    assertEquals(422, big.getCode());
    assertEquals("PersistentVolumeClaim \"data\" is invalid: spec.resources.requests[storage]: Invalid value: "
        + "\"1025Mi\": must be no more than 1Gi, the maxSize of StorageClass \"capped\"", big.getMessage());
    ErrorStatus grow = admission.admitUpdate(claim("fixed", "1Gi"), claim("fixed", "2Gi"));
    assertEquals(403, grow.getCode());
    assertEquals("persistentvolumeclaims \"data\" is forbidden: only dynamically provisioned pvc can be resized and "
        + "the storageclass that provisions the pvc must support resize", grow.getMessage());
    storageClass("growing", "2026-01-01T00:00:00Z", false, "allowVolumeExpansion: true\nparameters: {maxSize: 4Gi}");
    assertNull(admission.admitUpdate(claim("growing", "1Gi"), claim("growing", "2Gi")));
    assertEquals(422, admission.admitUpdate(claim("growing", "1Gi"), claim("growing", "5Gi")).getCode());
  }
}
