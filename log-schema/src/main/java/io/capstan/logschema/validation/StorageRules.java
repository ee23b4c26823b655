package io.capstan.logschema.validation;

import static io.capstan.logschema.json.FieldPath.field;
import static io.capstan.logschema.json.FieldPath.index;
import static io.capstan.logschema.validation.FieldErrors.isEmpty;
import static io.capstan.logschema.validation.FieldErrors.orEmpty;

import io.capstan.api.NodeSelectorTerm;
import io.capstan.api.PersistentVolume;
import io.capstan.api.PersistentVolumeClaim;
import io.capstan.api.PersistentVolumeClaimSpec;
import io.capstan.api.PersistentVolumeSpec;
import io.capstan.api.StorageClass;
import io.capstan.api.TopologySelectorTerm;
import io.capstan.logschema.resource.Quantity;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.avro.generic.IndexedRecord;

/**
 * The storage kinds' validation, worded as kube-apiserver's: core/v1 ValidatePersistentVolume and
 * ValidatePersistentVolumeClaim (access modes, the storage capacity or request, one volume source,
 * reclaim policy, volume mode, node affinity of a local volume) with their update rules (a claim's
 * spec is immutable but for a bound claim's storage request growing; a volume's source and mode
 * never change), and storage/v1 ValidateStorageClass (provisioner, reclaim policy, binding mode; its
 * provisioner, parameters, reclaim policy and binding mode immutable).
 */
public final class StorageRules {
  public static final String STORAGE = "storage";
  public static final String READ_WRITE_ONCE = "ReadWriteOnce";
  public static final String READ_WRITE_ONCE_POD = "ReadWriteOncePod";
  public static final List<String> ACCESS_MODES = List.of("ReadOnlyMany", READ_WRITE_ONCE, READ_WRITE_ONCE_POD,
      "ReadWriteMany");
  public static final String BLOCK = "Block";
  public static final List<String> VOLUME_MODES = List.of(BLOCK, "Filesystem");
  public static final List<String> PV_RECLAIM_POLICIES = List.of("Delete", "Recycle", "Retain");
  public static final List<String> CLASS_RECLAIM_POLICIES = List.of("Delete", "Retain");
  public static final String WAIT_FOR_FIRST_CONSUMER = "WaitForFirstConsumer";
  public static final List<String> BINDING_MODES = List.of("Immediate", WAIT_FOR_FIRST_CONSUMER);
  /** storage/v1 maxProvisionerParameterSize / Len. */
  static final int MAX_PARAMETER_SIZE = 256 * 1024;
  static final int MAX_PARAMETERS = 512;
  private static final List<String> HOST_PATH_TYPES = List.of("", "DirectoryOrCreate", "Directory", "FileOrCreate",
      "File", "Socket", "CharDevice", "BlockDevice");

  private StorageRules() {}

  // ---- PersistentVolume ----

  static void checkPersistentVolume(PersistentVolume pv, FieldErrors errors) {
    PersistentVolumeSpec spec = pv.getSpec();
    if (spec == null) {
      errors.add(FieldError.required("spec"));
      return;
    }
    accessModes("spec.accessModes", spec.getAccessModes(), "", errors);
    Map<String, String> capacity = orEmpty(spec.getCapacity());
    if (capacity.isEmpty()) {
      errors.add(FieldError.required("spec.capacity"));
    } else if (!capacity.containsKey(STORAGE) || capacity.size() > 1) {
      errors.add(FieldError.notSupported("spec.capacity", new java.util.TreeSet<>(capacity.keySet()).toString(),
          List.of(STORAGE)));
    }
    if (capacity.containsKey(STORAGE)) {
      positiveStorage(bracket("spec.capacity", STORAGE), capacity.get(STORAGE), errors);
    }
    int sources = (spec.getHostPath() == null ? 0 : 1) + (spec.getLocal() == null ? 0 : 1);
    if (sources == 0) {
      errors.add(FieldError.required("spec", "must specify a volume type"));
    } else if (sources > 1) {
      errors.add(FieldError.forbidden("spec.local", "may not specify more than 1 volume type"));
    }
    if (spec.getHostPath() != null) {
      absolutePath("spec.hostPath.path", spec.getHostPath().getPath(), errors);
      errors.oneOf("spec.hostPath.type", spec.getHostPath().getType(), HOST_PATH_TYPES);
    }
    if (spec.getLocal() != null) {
      absolutePath("spec.local.path", spec.getLocal().getPath(), errors);
      if (spec.getNodeAffinity() == null || spec.getNodeAffinity().getRequired() == null) {
        errors.add(FieldError.required("spec.nodeAffinity", "Local volume requires node affinity"));
      }
    }
    errors.oneOf("spec.persistentVolumeReclaimPolicy", spec.getPersistentVolumeReclaimPolicy(), PV_RECLAIM_POLICIES);
    if (!isEmpty(spec.getStorageClassName())) {
      errors.name("spec.storageClassName", spec.getStorageClassName(), Names::dns1123Subdomain);
    }
    errors.oneOf("spec.volumeMode", spec.getVolumeMode(), VOLUME_MODES);
    if (spec.getNodeAffinity() != null && spec.getNodeAffinity().getRequired() != null) {
      List<NodeSelectorTerm> terms = orEmpty(spec.getNodeAffinity().getRequired().getNodeSelectorTerms());
      String path = "spec.nodeAffinity.required.nodeSelectorTerms";
      if (terms.isEmpty()) {
        errors.add(FieldError.required(path, "must have at least one node selector term"));
      }
      for (int i = 0; i < terms.size(); i++) {
        PodSpecRules.checkNodeSelectorTerm(index(path, i), terms.get(i), errors);
      }
    }
    if (spec.getClaimRef() != null) {
      if (isEmpty(spec.getClaimRef().getName())) {
        errors.add(FieldError.required("spec.claimRef.name"));
      }
      if (isEmpty(spec.getClaimRef().getNamespace())) {
        errors.add(FieldError.required("spec.claimRef.namespace"));
      }
    }
    if (pv.getStatus() != null) {
      errors.oneOf("status.phase", emptyToNull(pv.getStatus().getPhase()),
          List.of("Pending", "Available", "Bound", "Released", "Failed"));
    }
  }

  // ---- PersistentVolumeClaim ----

  static void checkPersistentVolumeClaim(PersistentVolumeClaim pvc, FieldErrors errors) {
    PersistentVolumeClaimSpec spec = pvc.getSpec();
    if (spec == null) {
      errors.add(FieldError.required("spec"));
      return;
    }
    accessModes("spec.accessModes", spec.getAccessModes(), "at least 1 access mode is required", errors);
    MetadataRules.checkLabelSelector("spec.selector", spec.getSelector(), errors);
    String requested = spec.getResources() == null ? null : orEmpty(spec.getResources().getRequests()).get(STORAGE);
    if (requested == null) {
      errors.add(FieldError.required(bracket("spec.resources", STORAGE)));
    } else {
      positiveStorage(bracket("spec.resources", STORAGE), requested, errors);
    }
    if (spec.getResources() != null) {
      errors.resourceList("spec.resources.requests", spec.getResources().getRequests());
      errors.resourceList("spec.resources.limits", spec.getResources().getLimits());
    }
    if (!isEmpty(spec.getStorageClassName())) {
      errors.name("spec.storageClassName", spec.getStorageClassName(), Names::dns1123Subdomain);
    }
    errors.oneOf("spec.volumeMode", spec.getVolumeMode(), VOLUME_MODES);
    if (pvc.getStatus() != null) {
      errors.oneOf("status.phase", emptyToNull(pvc.getStatus().getPhase()), List.of("Pending", "Bound", "Lost"));
    }
  }

  /** The storage a claim asks for, or null when it asks for none (or for an amount that does not parse). */
  public static Quantity requestedStorage(PersistentVolumeClaim pvc) {
    if (pvc.getSpec() == null || pvc.getSpec().getResources() == null) {
      return null;
    }
    return parseOrNull(orEmpty(pvc.getSpec().getResources().getRequests()).get(STORAGE));
  }

  /** A volume's storage capacity, or null. */
  public static Quantity capacity(PersistentVolume pv) {
    return pv.getSpec() == null ? null : parseOrNull(orEmpty(pv.getSpec().getCapacity()).get(STORAGE));
  }

  // ---- StorageClass ----

  static void checkStorageClass(StorageClass sc, FieldErrors errors) {
    if (!isEmpty(sc.getProvisioner())) { // empty: the schema's required check says so
      errors.name("provisioner", sc.getProvisioner(), Names::qualifiedName);
    }
    Map<String, String> parameters = orEmpty(sc.getParameters());
    long size = 0;
    for (Map.Entry<String, String> e : parameters.entrySet()) {
      if (e.getKey().isEmpty()) {
        errors.add(FieldError.invalid("parameters", e.getKey(), "key may not be empty"));
      }
      size += e.getKey().length() + (e.getValue() == null ? 0 : e.getValue().length());
    }
    if (parameters.size() > MAX_PARAMETERS) {
      errors.add(FieldError.tooLong("parameters", MAX_PARAMETERS));
    }
    if (size > MAX_PARAMETER_SIZE) {
      errors.add(FieldError.tooLong("parameters", MAX_PARAMETER_SIZE));
    }
    String maxSize = parameters.get(StorageClassParameters.MAX_SIZE);
    if (maxSize != null) {
      String path = bracket("parameters", StorageClassParameters.MAX_SIZE);
      if (errors.quantity(path, maxSize) != null) { // a parameter: no schema check has parsed it
        positiveStorage(path, maxSize, errors);
      }
    }
    errors.oneOf("reclaimPolicy", sc.getReclaimPolicy(), CLASS_RECLAIM_POLICIES);
    errors.requiredOneOf("volumeBindingMode", sc.getVolumeBindingMode(), BINDING_MODES);
    List<TopologySelectorTerm> topologies = orEmpty(sc.getAllowedTopologies());
    for (int i = 0; i < topologies.size(); i++) {
      var reqs = orEmpty(topologies.get(i).getMatchLabelExpressions());
      String p = field(index("allowedTopologies", i), "matchLabelExpressions");
      if (reqs.isEmpty()) {
        errors.add(FieldError.required(p, "must have at least one label requirement"));
      }
      for (int j = 0; j < reqs.size(); j++) {
        errors.name(field(index(p, j), "key"), reqs.get(j).getKey(), Names::qualifiedName);
      }
    }
  }

  // ---- updates ----

  /** What an update may not change (ValidatePersistentVolume[Claim]Update, ValidateStorageClassUpdate). */
  public static List<FieldError> checkUpdate(IndexedRecord stored, IndexedRecord updated) {
    if (stored instanceof PersistentVolumeClaim was && updated instanceof PersistentVolumeClaim now) {
      return claimUpdate(was, now);
    }
    if (stored instanceof PersistentVolume was && updated instanceof PersistentVolume now) {
      return volumeUpdate(was, now);
    }
    if (stored instanceof StorageClass was && updated instanceof StorageClass now) {
      return classUpdate(was, now);
    }
    return List.of();
  }

  private static List<FieldError> claimUpdate(PersistentVolumeClaim was, PersistentVolumeClaim now) {
    List<FieldError> errors = new ArrayList<>();
    if (was.getSpec() == null || now.getSpec() == null) {
      return errors;
    }
    PersistentVolumeClaimSpec before = PersistentVolumeClaimSpec.newBuilder(was.getSpec()).build();
    PersistentVolumeClaimSpec after = PersistentVolumeClaimSpec.newBuilder(now.getSpec()).build();
    // The binder sets volumeName once; a class may be given to a claim that had none (retroactive default).
    if (isEmpty(before.getVolumeName())) {
      before.setVolumeName(after.getVolumeName());
    }
    if (before.getStorageClassName() == null) {
      before.setStorageClassName(after.getStorageClassName());
    }
    before.setVolumeAttributesClassName(after.getVolumeAttributesClassName());
    boolean bound = was.getStatus() != null && "Bound".equals(was.getStatus().getPhase());
    Quantity oldSize = requestedStorage(was);
    Quantity newSize = requestedStorage(now);
    if (bound) {
      before.setResources(withStorage(before, after));
    }
    if (!Objects.equals(before, after)) {
      errors.add(FieldError.forbidden("spec", "spec is immutable after creation except resources.requests and "
          + "volumeAttributesClassName for bound claims"));
    }
    if (bound && oldSize != null && newSize != null && newSize.compareTo(oldSize) < 0) {
      errors.add(FieldError.forbidden("spec.resources.requests.storage", "field can not be less than previous value"));
    }
    return errors;
  }

  /** The before-spec's resources with the after-spec's storage request (the one change a bound claim may make). */
  private static io.capstan.api.VolumeResourceRequirements withStorage(PersistentVolumeClaimSpec before,
      PersistentVolumeClaimSpec after) {
    if (before.getResources() == null || after.getResources() == null) {
      return before.getResources();
    }
    var copy = io.capstan.api.VolumeResourceRequirements.newBuilder(before.getResources()).build();
    Map<String, String> requests = new java.util.HashMap<>(orEmpty(copy.getRequests()));
    String storage = orEmpty(after.getResources().getRequests()).get(STORAGE);
    if (storage == null) {
      requests.remove(STORAGE);
    } else {
      requests.put(STORAGE, storage);
    }
    copy.setRequests(requests.isEmpty() && copy.getRequests() == null ? null : requests);
    return copy;
  }

  private static List<FieldError> volumeUpdate(PersistentVolume was, PersistentVolume now) {
    List<FieldError> errors = new ArrayList<>();
    if (was.getSpec() == null || now.getSpec() == null) {
      return errors;
    }
    if (!Objects.equals(was.getSpec().getHostPath(), now.getSpec().getHostPath())
        || !Objects.equals(was.getSpec().getLocal(), now.getSpec().getLocal())) {
      errors.add(FieldError.forbidden("spec.persistentvolumesource", "spec.persistentvolumesource is immutable after "
          + "creation"));
    }
    if (!Objects.equals(was.getSpec().getVolumeMode(), now.getSpec().getVolumeMode())) {
      errors.add(FieldError.invalid("volumeMode", String.valueOf(now.getSpec().getVolumeMode()), "field is immutable"));
    }
    if (was.getSpec().getNodeAffinity() != null
        && !Objects.equals(was.getSpec().getNodeAffinity(), now.getSpec().getNodeAffinity())) {
      errors.add(FieldError.forbidden("nodeAffinity", "field is immutable"));
    }
    return errors;
  }

  private static List<FieldError> classUpdate(StorageClass was, StorageClass now) {
    List<FieldError> errors = new ArrayList<>();
    if (!Objects.equals(orEmpty(was.getParameters()), orEmpty(now.getParameters()))) {
      errors.add(FieldError.forbidden("parameters", "updates to parameters are forbidden."));
    }
    if (!Objects.equals(was.getProvisioner(), now.getProvisioner())) {
      errors.add(FieldError.forbidden("provisioner", "updates to provisioner are forbidden."));
    }
    if (!Objects.equals(was.getReclaimPolicy(), now.getReclaimPolicy())) {
      errors.add(FieldError.forbidden("reclaimPolicy", "updates to reclaimPolicy are forbidden."));
    }
    if (!Objects.equals(was.getVolumeBindingMode(), now.getVolumeBindingMode())) {
      errors.add(FieldError.invalid("volumeBindingMode", String.valueOf(now.getVolumeBindingMode()),
          "field is immutable"));
    }
    return errors;
  }

  // ---- shared ----

  private static void accessModes(String path, List<String> modes, String requiredDetail, FieldErrors errors) {
    List<String> list = orEmpty(modes);
    if (list.isEmpty()) {
      errors.add(requiredDetail.isEmpty() ? FieldError.required(path) : FieldError.required(path, requiredDetail));
      return;
    }
    boolean oncePod = false;
    for (String mode : list) {
      if (!ACCESS_MODES.contains(mode)) {
        errors.add(FieldError.notSupported(path, mode, ACCESS_MODES));
      }
      oncePod |= READ_WRITE_ONCE_POD.equals(mode);
    }
    if (oncePod && Set.copyOf(list).size() > 1) {
      errors.add(FieldError.forbidden(path, "may not use ReadWriteOncePod with other access modes"));
    }
  }

  /** A storage amount above zero; one that does not parse is the schema's quantity check's to report. */
  private static void positiveStorage(String path, String value, FieldErrors errors) {
    Quantity q = parseOrNull(value);
    if (q != null && q.signum() <= 0) {
      errors.add(FieldError.invalid(path, value, "must be greater than zero"));
    }
  }

  private static void absolutePath(String path, String value, FieldErrors errors) {
    if (isEmpty(value)) {
      errors.add(FieldError.required(path));
    } else if (value.contains("..")) {
      errors.add(FieldError.invalid(path, value, "must not contain '..'"));
    }
  }

  /** A map key as kube's field.Path.Key prints it: always in brackets ({@code spec.resources[storage]}). */
  private static String bracket(String parent, String key) {
    return parent + "[" + key + "]";
  }

  private static Quantity parseOrNull(String value) {
    if (value == null) {
      return null;
    }
    try {
      return Quantity.parse(value);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static String emptyToNull(String s) {
    return isEmpty(s) ? null : s;
  }
}
