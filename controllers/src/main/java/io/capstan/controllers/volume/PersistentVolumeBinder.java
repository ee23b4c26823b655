package io.capstan.controllers.volume;

import io.capstan.api.Node;
import io.capstan.api.ObjectMeta;
import io.capstan.api.ObjectReference;
import io.capstan.api.PersistentVolume;
import io.capstan.api.PersistentVolumeClaim;
import io.capstan.api.PersistentVolumeClaimStatus;
import io.capstan.api.PersistentVolumeStatus;
import io.capstan.api.Pod;
import io.capstan.api.StorageClass;
import io.capstan.api.Volume;
import io.capstan.controllers.runtime.Controller;
import io.capstan.controllers.runtime.EventRecorder;
import io.capstan.controllers.runtime.ObjectWriter;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.controllers.runtime.ReconcileResult;
import io.capstan.controllers.runtime.ShardAssignment;
import io.capstan.controllers.runtime.WorkQueue;
import io.capstan.controllers.runtime.WriteRejectedException;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.storage.VolumeClaims;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.ResourceEventHandler;
import io.capstan.stateviews.informer.SharedInformers;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * kube-controller-manager's persistentvolume-binder with the pvc-protection and pv-protection
 * controllers. A claim is bound to the volume {@link VolumeClaims#findMatchingVolume} picks: the
 * volume's claimRef first ({@code pv.kubernetes.io/bound-by-controller}), then its phase Bound, then
 * the claim's volumeName ({@code pv.kubernetes.io/bind-completed}), then the claim's status (Bound,
 * with the volume's capacity and access modes). A claim with no volume waits: for its first pod
 * when its class is WaitForFirstConsumer (until the scheduler names a node in
 * {@code volume.kubernetes.io/selected-node}), else for its class's provisioner, which it names in
 * {@code volume.kubernetes.io/storage-provisioner}. Phases as kube's: a volume is Available,
 * Bound, Released once its claim is gone (then reclaimed by its provisioner when its policy is
 * Delete, or kept when Retain), Failed when nothing can delete it; a claim is Pending, Bound, or
 * Lost when its volume is gone.
 *
 * <p>Protection: a claim marked for deletion keeps {@code kubernetes.io/pvc-protection} while a pod
 * that is not finished uses it; a volume keeps {@code kubernetes.io/pv-protection} while Bound.
 *
 * <p>Keys are {@code PersistentVolumeClaim/ns/name} and {@code PersistentVolume//name}; a volume's
 * binding is written with the resourceVersion it was read at, so two binders never bind one volume
 * to two claims.
 */
public final class PersistentVolumeBinder implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PersistentVolumeBinder.class);
  public static final String NAME = "persistentvolume-binder";
  static final String CLAIM_PREFIX = Kinds.PERSISTENT_VOLUME_CLAIM.kind() + "/";
  static final String VOLUME_PREFIX = Kinds.PERSISTENT_VOLUME.kind() + "//";

  private final Informer<PersistentVolumeClaim> claims;
  private final Informer<PersistentVolume> volumes;
  private final Informer<StorageClass> classes;
  private final Informer<Pod> pods;
  private final Informer<Node> nodes;
  private final ObjectWriter writer;
  private final EventRecorder events;
  private final WorkQueue queue;
  private final Controller controller;
  /** The last waiting event per claim key, so a claim that keeps waiting is told once (not at every sync). */
  private final Map<String, String> lastEvent = new ConcurrentHashMap<>();

  public PersistentVolumeBinder(SharedInformers informers, ObjectWriter writer, Clock clock, int workers,
      MeterRegistry registry) {
    this.claims = informers.informerFor(Kinds.PERSISTENT_VOLUME_CLAIM, PersistentVolumeClaim.class);
    this.volumes = informers.informerFor(Kinds.PERSISTENT_VOLUME, PersistentVolume.class);
    this.classes = informers.informerFor(Kinds.STORAGE_CLASS, StorageClass.class);
    this.pods = informers.informerFor(Kinds.POD, Pod.class);
    this.nodes = informers.informerFor(Kinds.NODE, Node.class);
    this.writer = Objects.requireNonNull(writer, "writer");
    this.events = new EventRecorder(writer, "persistentvolume-controller", clock);
    this.queue = WorkQueue.withDefaultRateLimiter(NAME, registry);
    this.controller = new Controller(NAME, queue, this::reconcile, workers, registry);
  }

  public void shardBy(ShardAssignment shard) {
    controller.shardBy(shard, () -> {
      List<String> keys = new ArrayList<>();
      claims.list().forEach(c -> keys.add(claimKey(c.getMetadata())));
      volumes.list().forEach(v -> keys.add(volumeKey(v.getMetadata().getName())));
      return keys;
    });
  }

  public void start() {
    log.info("persistent volume binder starting");
    claims.addHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(PersistentVolumeClaim c) {
        queue.add(claimKey(c.getMetadata()));
      }

      @Override
      public void onUpdate(PersistentVolumeClaim old, PersistentVolumeClaim c) {
        queue.add(claimKey(c.getMetadata()));
      }

      @Override
      public void onDelete(PersistentVolumeClaim c) {
        lastEvent.remove(claimKey(c.getMetadata()));
        String volume = c.getSpec() == null ? null : c.getSpec().getVolumeName();
        if (volume != null && !volume.isEmpty()) {
          queue.add(volumeKey(volume)); // its volume is Released now
        }
        for (PersistentVolume v : volumes.list()) {
          if (VolumeClaims.boundToClaim(v, c)) {
            queue.add(volumeKey(v.getMetadata().getName()));
          }
        }
      }
    });
    volumes.addHandler(ResourceEventHandler.onAny((PersistentVolume v) -> volumeChanged(v)));
    classes.addHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(StorageClass sc) {
        pendingClaims();
      }
    });
    pods.addHandler(new ResourceEventHandler<>() {
      @Override
      public void onUpdate(Pod old, Pod p) {
        if (finished(p)) {
          claimsOf(p);
        }
      }

      @Override
      public void onDelete(Pod p) {
        claimsOf(p);
      }
    });
    controller.start();
  }

  @Override
  public void close() {
    controller.close();
  }

  static String claimKey(ObjectMeta m) {
    return CLAIM_PREFIX + m.getNamespace() + "/" + m.getName();
  }

  static String volumeKey(String name) {
    return VOLUME_PREFIX + name;
  }

  /** A volume changed: it, and the claims it can serve (any pending one may now match). */
  private void volumeChanged(PersistentVolume v) {
    queue.add(volumeKey(v.getMetadata().getName()));
    ObjectReference ref = v.getSpec() == null ? null : v.getSpec().getClaimRef();
    if (ref != null) {
      queue.add(CLAIM_PREFIX + ref.getNamespace() + "/" + ref.getName());
    } else {
      pendingClaims();
    }
  }

  private void pendingClaims() {
    for (PersistentVolumeClaim c : claims.list()) {
      if (c.getSpec() == null || c.getSpec().getVolumeName() == null || c.getSpec().getVolumeName().isEmpty()) {
        queue.add(claimKey(c.getMetadata()));
      }
    }
  }

  /** A pod that finished or went may have been the last user of a claim being deleted. */
  private void claimsOf(Pod p) {
    for (String claim : claimNames(p)) {
      queue.add(CLAIM_PREFIX + p.getMetadata().getNamespace() + "/" + claim);
    }
  }

  static List<String> claimNames(Pod p) {
    List<String> out = new ArrayList<>();
    if (p.getSpec() != null && p.getSpec().getVolumes() != null) {
      for (Volume v : p.getSpec().getVolumes()) {
        if (v.getPersistentVolumeClaim() != null) {
          out.add(v.getPersistentVolumeClaim().getClaimName());
        }
      }
    }
    return out;
  }

  private static boolean finished(Pod p) {
    String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
    return "Succeeded".equals(phase) || "Failed".equals(phase);
  }

  ReconcileResult reconcile(String key) throws Exception {
    if (key.startsWith(VOLUME_PREFIX)) {
      Optional<PersistentVolume> v = volumes.get("", key.substring(VOLUME_PREFIX.length()));
      return v.isEmpty() ? ReconcileResult.done() : syncVolume(v.get());
    }
    String[] parts = key.substring(CLAIM_PREFIX.length()).split("/", 2);
    Optional<PersistentVolumeClaim> c = claims.get(parts[0], parts[1]);
    return c.isEmpty() ? ReconcileResult.done() : syncClaim(c.get());
  }

  // ---- claims ----

  private ReconcileResult syncClaim(PersistentVolumeClaim claim) throws Exception {
    if (claim.getMetadata().getDeletionTimestamp() != null) {
      return releaseProtection(claim);
    }
    String volumeName = claim.getSpec() == null ? null : claim.getSpec().getVolumeName();
    if (volumeName == null || volumeName.isEmpty()) {
      return syncUnboundClaim(claim);
    }
    Optional<PersistentVolume> volume = volumes.get("", volumeName);
    if (volume.isEmpty()) {
      if (!VolumeClaims.LOST.equals(phase(claim))) {
        events.warning(Kinds.PERSISTENT_VOLUME_CLAIM, claim.getMetadata(), "ClaimLost",
            "Bound claim has lost its PersistentVolume. Data on the volume is lost!");
        writeClaimStatus(claim, VolumeClaims.LOST, null);
      }
      return ReconcileResult.done();
    }
    PersistentVolume v = volume.get();
    if (v.getSpec().getClaimRef() == null) {
      bind(v, claim); // the user named the volume in the claim: finish the volume's side
      return ReconcileResult.done();
    }
    if (!VolumeClaims.boundToClaim(v, claim)) {
      if (!VolumeClaims.LOST.equals(phase(claim))) {
        events.warning(Kinds.PERSISTENT_VOLUME_CLAIM, claim.getMetadata(), "ClaimMisbound",
            "Two claims are bound to the same volume, this one is bound incorrectly");
        writeClaimStatus(claim, VolumeClaims.LOST, null);
      }
      return ReconcileResult.done();
    }
    bind(v, claim); // each step it finds done is skipped
    return ReconcileResult.done();
  }

  private ReconcileResult syncUnboundClaim(PersistentVolumeClaim claim) throws Exception {
    String className = VolumeClaims.className(claim);
    StorageClass sc = className.isEmpty() ? null : classes.get("", className).orElse(null);
    boolean delay = VolumeClaims.delaysBinding(sc);
    String selectedNode = VolumeClaims.annotation(claim.getMetadata(), VolumeClaims.SELECTED_NODE).orElse(null);
    Map<String, String> nodeLabels = selectedNode == null ? null
        : nodes.get("", selectedNode).map(n -> n.getMetadata().getLabels())
            .orElse(Map.of("kubernetes.io/hostname", selectedNode)); // not cached yet: its name at least
    Optional<PersistentVolume> match = VolumeClaims.findMatchingVolume(claim, volumes.list(), selectedNode, nodeLabels,
        delay);
    if (match.isPresent()) {
      bind(match.get(), claim);
      return ReconcileResult.done();
    }
    if (delay && selectedNode == null) {
      tellOnce(claim, EventRecorder.NORMAL, "WaitForFirstConsumer",
          "waiting for first consumer to be created before binding");
    } else if (sc == null) {
      if (className.isEmpty()) {
        tellOnce(claim, EventRecorder.NORMAL, "FailedBinding",
            "no persistent volumes available for this claim and no storage class is set");
      } else {
        tellOnce(claim, EventRecorder.WARNING, "ProvisioningFailed",
            "storageclass.storage.k8s.io \"" + className + "\" not found");
      }
    } else {
      askProvisioner(claim, sc);
    }
    if (!VolumeClaims.PENDING.equals(phase(claim))) {
      writeClaimStatus(claim, VolumeClaims.PENDING, null);
    }
    return ReconcileResult.done();
  }

  /** Names the class's provisioner on the claim, as the PV controller hands a claim to an external one. */
  private void askProvisioner(PersistentVolumeClaim claim, StorageClass sc) throws Exception {
    String provisioner = sc.getProvisioner();
    if (!provisioner.equals(VolumeClaims.annotation(claim.getMetadata(), VolumeClaims.STORAGE_PROVISIONER)
        .orElse(null))) {
      PersistentVolumeClaim updated = PodTemplates.copy(claim);
      Map<String, String> annotations = new HashMap<>(orEmpty(updated.getMetadata().getAnnotations()));
      annotations.put(VolumeClaims.STORAGE_PROVISIONER, provisioner);
      annotations.put(VolumeClaims.BETA_STORAGE_PROVISIONER, provisioner);
      updated.getMetadata().setAnnotations(annotations);
      writer.update(updated);
    }
    tellOnce(claim, EventRecorder.NORMAL, "ExternalProvisioning", "Waiting for a volume to be created either by the "
        + "external provisioner '" + provisioner + "' or manually by the system administrator. If volume creation is "
        + "delayed, please verify that the provisioner is running and correctly registered.");
  }

  /**
   * Binds the volume to the claim, each side in kube's order (volume claimRef, volume phase, claim
   * volumeName, claim phase); a step already done is skipped, so a binding cut short is finished by
   * the next sync of either side.
   */
  private void bind(PersistentVolume volume, PersistentVolumeClaim claim) throws Exception {
    String key = claimKey(claim.getMetadata());
    PersistentVolume v = volume;
    ObjectReference ref = v.getSpec().getClaimRef();
    if (ref == null || ref.getUid() == null || ref.getUid().isEmpty()) {
      PersistentVolume updated = PodTemplates.copy(v);
      updated.getSpec().setClaimRef(VolumeClaims.claimRef(claim));
      if (ref == null) {
        Map<String, String> annotations = new HashMap<>(orEmpty(updated.getMetadata().getAnnotations()));
        annotations.put(VolumeClaims.BOUND_BY_CONTROLLER, VolumeClaims.YES);
        updated.getMetadata().setAnnotations(annotations);
      }
      v = writer.update(updated).objectAs(PersistentVolume.class); // at the version read: a race loses here
    }
    if (!VolumeClaims.BOUND.equals(phase(v))) {
      v = writeVolumeStatus(v, VolumeClaims.BOUND, null, null);
    }
    PersistentVolumeClaim c = claim;
    String volumeName = c.getSpec().getVolumeName();
    if (volumeName == null || volumeName.isEmpty()
        || !VolumeClaims.YES.equals(VolumeClaims.annotation(c.getMetadata(), VolumeClaims.BIND_COMPLETED).orElse(null))) {
      PersistentVolumeClaim updated = PodTemplates.copy(c);
      Map<String, String> annotations = new HashMap<>(orEmpty(updated.getMetadata().getAnnotations()));
      annotations.put(VolumeClaims.BIND_COMPLETED, VolumeClaims.YES);
      if (volumeName == null || volumeName.isEmpty()) {
        annotations.put(VolumeClaims.BOUND_BY_CONTROLLER, VolumeClaims.YES);
        updated.getSpec().setVolumeName(v.getMetadata().getName());
      }
      updated.getMetadata().setAnnotations(annotations);
      c = writer.update(updated).objectAs(PersistentVolumeClaim.class);
    }
    if (!VolumeClaims.BOUND.equals(phase(c)) || c.getStatus().getCapacity() == null) {
      writeClaimStatus(c, VolumeClaims.BOUND, v);
    }
    if (lastEvent.remove(key) != null || claim.getSpec().getVolumeName() == null) {
      log.info("claim {}/{} bound to volume {}", c.getMetadata().getNamespace(), c.getMetadata().getName(),
          v.getMetadata().getName());
    }
  }

  /** pvc-protection: the finalizer goes once no unfinished pod of the namespace uses the claim. */
  private ReconcileResult releaseProtection(PersistentVolumeClaim claim) throws Exception {
    List<String> finalizers = orEmpty(claim.getMetadata().getFinalizers());
    if (!finalizers.contains(io.capstan.stateviews.processor.rules.StorageAdmission.PVC_PROTECTION)) {
      return ReconcileResult.done();
    }
    String name = claim.getMetadata().getName();
    for (Pod p : pods.list(claim.getMetadata().getNamespace())) {
      if (!finished(p) && claimNames(p).contains(name)) {
        return ReconcileResult.done(); // the pod's delete or end queues the claim again
      }
    }
    PersistentVolumeClaim updated = PodTemplates.copy(claim);
    List<String> rest = new ArrayList<>(finalizers);
    rest.remove(io.capstan.stateviews.processor.rules.StorageAdmission.PVC_PROTECTION);
    updated.getMetadata().setFinalizers(rest);
    try {
      writer.update(updated);
    } catch (WriteRejectedException e) {
      if (!e.isNotFound()) {
        throw e;
      }
    }
    return ReconcileResult.done();
  }

  private void tellOnce(PersistentVolumeClaim claim, String type, String reason, String message) {
    String key = claimKey(claim.getMetadata());
    if (!(reason + message).equals(lastEvent.put(key, reason + message))) {
      events.record(Kinds.PERSISTENT_VOLUME_CLAIM, claim.getMetadata(), type, reason, message);
    }
  }

  private void writeClaimStatus(PersistentVolumeClaim claim, String phase, PersistentVolume volume) throws Exception {
    PersistentVolumeClaim updated = PodTemplates.copy(claim);
    PersistentVolumeClaimStatus status = updated.getStatus() == null ? new PersistentVolumeClaimStatus()
        : updated.getStatus();
    status.setPhase(phase);
    if (volume != null) {
      status.setCapacity(volume.getSpec().getCapacity());
      status.setAccessModes(volume.getSpec().getAccessModes());
    } else if (!VolumeClaims.LOST.equals(phase)) {
      status.setCapacity(null);
      status.setAccessModes(null);
    }
    updated.setStatus(status);
    try {
      writer.updateStatus(updated);
    } catch (WriteRejectedException e) {
      if (!e.isNotFound()) {
        throw e;
      }
    }
  }

  // ---- volumes ----

  private ReconcileResult syncVolume(PersistentVolume v) throws Exception {
    if (v.getMetadata().getDeletionTimestamp() != null) {
      return releaseVolumeProtection(v);
    }
    ObjectReference ref = v.getSpec() == null ? null : v.getSpec().getClaimRef();
    if (ref == null) {
      if (!VolumeClaims.AVAILABLE.equals(phase(v))) {
        writeVolumeStatus(v, VolumeClaims.AVAILABLE, null, null);
      }
      return ReconcileResult.done();
    }
    Optional<PersistentVolumeClaim> claim = claims.get(ref.getNamespace(), ref.getName())
        .filter(c -> ref.getUid() == null || ref.getUid().isEmpty() || ref.getUid().equals(c.getMetadata().getUid()));
    if (ref.getUid() == null || ref.getUid().isEmpty()) {
      // Pre-bound by a user or a provisioner: Available until the claim's sync binds it.
      if (!VolumeClaims.AVAILABLE.equals(phase(v))) {
        writeVolumeStatus(v, VolumeClaims.AVAILABLE, null, null);
      }
      claim.ifPresent(c -> queue.add(claimKey(c.getMetadata())));
      return ReconcileResult.done();
    }
    if (claim.isEmpty()) {
      return reclaim(v);
    }
    PersistentVolumeClaim c = claim.get();
    String boundTo = c.getSpec() == null ? null : c.getSpec().getVolumeName();
    if (boundTo == null || boundTo.isEmpty()) {
      queue.add(claimKey(c.getMetadata())); // the claim's side is not written yet
      return ReconcileResult.done();
    }
    if (!boundTo.equals(v.getMetadata().getName())) {
      // The claim went to another volume: a binding the controller made is undone.
      if (VolumeClaims.YES.equals(VolumeClaims.annotation(v.getMetadata(), VolumeClaims.BOUND_BY_CONTROLLER)
          .orElse(null))) {
        PersistentVolume updated = PodTemplates.copy(v);
        updated.getSpec().setClaimRef(null);
        Map<String, String> annotations = new HashMap<>(orEmpty(updated.getMetadata().getAnnotations()));
        annotations.remove(VolumeClaims.BOUND_BY_CONTROLLER);
        updated.getMetadata().setAnnotations(annotations);
        writer.update(updated);
      }
      return ReconcileResult.done();
    }
    if (!VolumeClaims.BOUND.equals(phase(v))) {
      writeVolumeStatus(v, VolumeClaims.BOUND, null, null);
    }
    return ReconcileResult.done();
  }

  /**
   * The volume's claim is gone: Released, then as its policy says. Retain keeps it; Delete is the
   * provisioner's to carry out for the volumes it made (it removes the storage, then the volume);
   * a volume no provisioner made cannot be deleted (Failed, as kube finds no deleter plugin).
   */
  private ReconcileResult reclaim(PersistentVolume v) throws Exception {
    if (!VolumeClaims.RELEASED.equals(phase(v)) && !VolumeClaims.FAILED.equals(phase(v))) {
      v = writeVolumeStatus(v, VolumeClaims.RELEASED, null, null);
    }
    String policy = v.getSpec().getPersistentVolumeReclaimPolicy();
    boolean provisioned = VolumeClaims.annotation(v.getMetadata(), VolumeClaims.PROVISIONED_BY).isPresent();
    if ("Delete".equals(policy) && !provisioned && !VolumeClaims.FAILED.equals(phase(v))) {
      String message = "error getting deleter volume plugin for volume \"" + v.getMetadata().getName()
          + "\": no deletable volume plugin matched";
      events.warning(Kinds.PERSISTENT_VOLUME, v.getMetadata(), "VolumeFailedDelete", message);
      writeVolumeStatus(v, VolumeClaims.FAILED, "VolumeFailedDelete", message);
    } else if ("Recycle".equals(policy) && !VolumeClaims.FAILED.equals(phase(v))) {
      String message = "No recycler plugin found for the volume!";
      events.warning(Kinds.PERSISTENT_VOLUME, v.getMetadata(), "VolumeFailedRecycle", message);
      writeVolumeStatus(v, VolumeClaims.FAILED, "VolumeFailedRecycle", message);
    }
    return ReconcileResult.done();
  }

  /** pv-protection: the finalizer goes once the volume is not Bound to a claim that still exists. */
  private ReconcileResult releaseVolumeProtection(PersistentVolume v) throws Exception {
    List<String> finalizers = orEmpty(v.getMetadata().getFinalizers());
    if (!finalizers.contains(io.capstan.stateviews.processor.rules.StorageAdmission.PV_PROTECTION)) {
      return ReconcileResult.done();
    }
    ObjectReference ref = v.getSpec() == null ? null : v.getSpec().getClaimRef();
    boolean inUse = VolumeClaims.BOUND.equals(phase(v)) && ref != null
        && claims.get(ref.getNamespace(), ref.getName()).isPresent();
    if (inUse) {
      return ReconcileResult.done();
    }
    PersistentVolume updated = PodTemplates.copy(v);
    List<String> rest = new ArrayList<>(finalizers);
    rest.remove(io.capstan.stateviews.processor.rules.StorageAdmission.PV_PROTECTION);
    updated.getMetadata().setFinalizers(rest);
    try {
      writer.update(updated);
    } catch (WriteRejectedException e) {
      if (!e.isNotFound()) {
        throw e;
      }
    }
    return ReconcileResult.done();
  }

  private PersistentVolume writeVolumeStatus(PersistentVolume v, String phase, String reason, String message)
      throws Exception {
    PersistentVolume updated = PodTemplates.copy(v);
    PersistentVolumeStatus status = updated.getStatus() == null ? new PersistentVolumeStatus() : updated.getStatus();
    if (!phase.equals(status.getPhase())) {
      status.setLastPhaseTransitionTime(java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
          .toString());
    }
    status.setPhase(phase);
    status.setReason(reason);
    status.setMessage(message);
    updated.setStatus(status);
    try {
      return writer.updateStatus(updated).objectAs(PersistentVolume.class);
    } catch (WriteRejectedException e) {
      if (e.isNotFound()) {
        return v;
      }
      throw e;
    }
  }

  private static String phase(PersistentVolume v) {
    return v.getStatus() == null ? null : v.getStatus().getPhase();
  }

  private static String phase(PersistentVolumeClaim c) {
    return c.getStatus() == null ? null : c.getStatus().getPhase();
  }

  private static <T> List<T> orEmpty(List<T> list) {
    return list == null ? List.of() : list;
  }

  private static Map<String, String> orEmpty(Map<String, String> map) {
    return map == null ? Map.of() : map;
  }
}
