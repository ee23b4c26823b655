package io.capstan.nodeagent.volume;

import io.capstan.api.HostPathVolumeSource;
import io.capstan.api.NodeSelector;
import io.capstan.api.NodeSelectorRequirement;
import io.capstan.api.NodeSelectorTerm;
import io.capstan.api.ObjectMeta;
import io.capstan.api.ObjectReference;
import io.capstan.api.PersistentVolume;
import io.capstan.api.PersistentVolumeClaim;
import io.capstan.api.PersistentVolumeSpec;
import io.capstan.api.StorageClass;
import io.capstan.api.VolumeNodeAffinity;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.storage.VolumeClaims;
import io.capstan.logschema.validation.StorageRules;
import io.capstan.nodeagent.events.EventRecorder;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.ResourceEventHandler;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The built-in provisioner {@value #PROVISIONER} of one node (or of every node of a hollow fleet),
 * as rancher's local-path-provisioner behaves: a claim of a class of this provisioner whose first
 * pod the scheduler put on a node it serves ({@code volume.kubernetes.io/selected-node}) gets a
 * directory {@code <data dir>/local-path/pvc-<uid>_<namespace>_<name>} and a PersistentVolume
 * {@code pvc-<claim uid>} for it: a hostPath volume with node affinity to that node, pre-bound to
 * the claim (the binder finishes the binding), with the class's reclaim policy. A hollow fleet's
 * volumes are real (empty) directories that no container mounts, so claims of StatefulSets and
 * pods on hollow nodes bind and are reclaimed as on a real node. When such a volume of this node is Released and its
 * policy is Delete, the directory is removed, then the volume. Work runs on one thread of its own,
 * after every claim or volume change and every {@link #RESYNC} (a change missed is not lost).
 *
 * <p>As kube's external provisioners (sig-storage-lib-external-provisioner) report on the claim:
 * a {@code ProvisioningSucceeded} event; a {@code Block} claim is not provisioned (local-path
 * volumes are directories) with a {@code ProvisioningFailed} event, once; a directory that cannot
 * be made on the selected node is a {@code ProvisioningFailed} event and the claim is handed back
 * to the scheduler by removing {@code volume.kubernetes.io/selected-node} (ProvisioningReschedule),
 * so its pod may be placed again, perhaps on another node.
 */
public final class LocalPathProvisioner implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LocalPathProvisioner.class);
  public static final String PROVISIONER = "capstan.io/local-path";
  /** The directory under the node's data dir that holds the volumes. */
  public static final String SUBDIR = "local-path";
  static final Duration RESYNC = Duration.ofSeconds(10);
  private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(30);

  /** The node's name, or the fleet's nodes' ({@code hollow-*}), in logs and the worker thread's name. */
  private final String nodeName;
  private final java.util.function.Predicate<String> serves;
  private final Path root;
  private final Informer<PersistentVolumeClaim> claims;
  private final Informer<PersistentVolume> volumes;
  private final Informer<StorageClass> classes;
  private final CommandClient client;
  private final ScheduledExecutorService worker;
  private final java.util.List<AutoCloseable> handlers = new java.util.ArrayList<>();
  private final java.util.concurrent.atomic.AtomicBoolean pending = new java.util.concurrent.atomic.AtomicBoolean();
  private final EventRecorder events;
  /** Claims told they cannot be provisioned, by uid (one event each, as the library stops provisioning them). */
  private final java.util.Set<String> refused = java.util.concurrent.ConcurrentHashMap.newKeySet();
  /** Claim versions handed back ({@code uid@resourceVersion}): a pass before the informer has the update skips them. */
  private final java.util.Set<String> handedBack = java.util.concurrent.ConcurrentHashMap.newKeySet();

  public LocalPathProvisioner(String nodeName, Path dataDir, Informer<PersistentVolumeClaim> claims,
      Informer<PersistentVolume> volumes, Informer<StorageClass> classes, CommandClient client) {
    this(nodeName, nodeName::equals, dataDir, claims, volumes, classes, client);
  }

  /**
   * The provisioner of every node {@code serves} accepts (a hollow fleet's), named {@code name} in
   * logs; their volumes share the directory under {@code dataDir}.
   */
  public LocalPathProvisioner(String name, java.util.function.Predicate<String> serves, Path dataDir,
      Informer<PersistentVolumeClaim> claims, Informer<PersistentVolume> volumes, Informer<StorageClass> classes,
      CommandClient client) {
    this.nodeName = name;
    this.serves = serves;
    this.root = dataDir.resolve(SUBDIR).toAbsolutePath().normalize();
    this.claims = claims;
    this.volumes = volumes;
    this.classes = classes;
    this.client = client;
    this.events = EventRecorder.about(client, name, java.time.Clock.systemUTC(), PROVISIONER + "_" + name);
    this.worker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "capstan-local-path-" + nodeName);
      t.setDaemon(true);
      return t;
    });
  }

  public Path root() {
    return root;
  }

  public LocalPathProvisioner start() {
    ResourceEventHandler<Object> changed = new ResourceEventHandler<>() {
      @Override
      public void onAdd(Object o) {
        soon();
      }

      @Override
      public void onUpdate(Object old, Object o) {
        soon();
      }
    };
    handlers.add(claims.addHandler(changed));
    handlers.add(volumes.addHandler(changed));
    worker.scheduleWithFixedDelay(this::syncAll, 0, RESYNC.toMillis(), TimeUnit.MILLISECONDS);
    log.info("local-path provisioner of node {}: volumes under {}", nodeName, root);
    return this;
  }

  /** A pass soon; changes that arrive before it starts share it. */
  private void soon() {
    if (pending.compareAndSet(false, true)) {
      worker.execute(() -> {
        pending.set(false);
        syncAll();
      });
    }
  }

  /** One pass over the claims to provision and the volumes to delete; never throws (logs). */
  void syncAll() {
    try {
      for (PersistentVolumeClaim c : claims.list()) {
        provisionIfMine(c);
      }
      for (PersistentVolume v : volumes.list()) {
        deleteIfReleased(v);
      }
    } catch (RuntimeException e) {
      log.warn("local-path provisioner of node {}: {}", nodeName, e.toString(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The volume name kube gives a provisioned claim's volume. */
  public static String volumeName(PersistentVolumeClaim claim) {
    return "pvc-" + claim.getMetadata().getUid();
  }

  private void provisionIfMine(PersistentVolumeClaim claim) throws InterruptedException {
    ObjectMeta m = claim.getMetadata();
    String node = VolumeClaims.annotation(m, VolumeClaims.SELECTED_NODE).orElse(null);
    if (m.getDeletionTimestamp() != null || claim.getSpec() == null
        || (claim.getSpec().getVolumeName() != null && !claim.getSpec().getVolumeName().isEmpty())
        || node == null || !serves.test(node)) {
      return;
    }
    Optional<StorageClass> sc = classes.get("", VolumeClaims.className(claim));
    if (sc.isEmpty() || !PROVISIONER.equals(sc.get().getProvisioner())) {
      return;
    }
    String name = volumeName(claim);
    if (volumes.get("", name).isPresent()) {
      return;
    }
    if (StorageRules.BLOCK.equals(claim.getSpec().getVolumeMode())) {
      if (refused.add(m.getUid())) {
        events.record(reference(claim), EventRecorder.WARNING, "ProvisioningFailed",
            PROVISIONER + " does not support block volume provisioning");
        log.info("local-path: claim {}/{} asks for a Block volume: not provisioned", m.getNamespace(), m.getName());
      }
      return;
    }
    if (handedBack.contains(m.getUid() + "@" + m.getResourceVersion())) {
      return;
    }
    Path dir = root.resolve(name + "_" + m.getNamespace() + "_" + m.getName());
    try {
      Files.createDirectories(dir);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx")); // any container user writes
    } catch (IOException | UnsupportedOperationException e) {
      log.warn("local-path: cannot make {} for claim {}/{}: {}", dir, m.getNamespace(), m.getName(), e.toString());
      String cause = e instanceof java.nio.file.FileSystemException fse && fse.getReason() != null
          ? fse.getFile() + ": " + fse.getReason() : e.toString();
      reschedule(claim, "failed to provision volume " + name + " on node \"" + node + "\": cannot make directory "
          + dir + ": " + cause);
      return;
    }
    String size = claim.getSpec().getResources().getRequests().get(StorageRules.STORAGE);
    String policy = sc.get().getReclaimPolicy() == null ? "Delete" : sc.get().getReclaimPolicy();
    PersistentVolume pv = PersistentVolume.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setName(name)
            .setAnnotations(Map.of(VolumeClaims.PROVISIONED_BY, PROVISIONER)).build())
        .setSpec(PersistentVolumeSpec.newBuilder()
            .setCapacity(Map.of(StorageRules.STORAGE, size))
            .setAccessModes(claim.getSpec().getAccessModes())
            .setPersistentVolumeReclaimPolicy(policy)
            .setStorageClassName(sc.get().getMetadata().getName())
            .setVolumeMode(claim.getSpec().getVolumeMode())
            .setHostPath(HostPathVolumeSource.newBuilder().setPath(dir.toString()).setType("DirectoryOrCreate").build())
            .setNodeAffinity(VolumeNodeAffinity.newBuilder().setRequired(NodeSelector.newBuilder()
                .setNodeSelectorTerms(List.of(NodeSelectorTerm.newBuilder().setMatchExpressions(List.of(
                    NodeSelectorRequirement.newBuilder().setKey("kubernetes.io/hostname").setOperator("In")
                        .setValues(List.of(node)).build())).build())).build()).build())
            .setClaimRef(VolumeClaims.claimRef(claim))
            .build())
        .build();
    CommandResult r = await(client.create(pv));
    if (r instanceof CommandResult.Accepted) {
      log.info("local-path: provisioned {} ({}) at {} on node {} for claim {}/{}", name, size, dir, node,
          m.getNamespace(), m.getName());
      events.record(reference(claim), EventRecorder.NORMAL, "ProvisioningSucceeded",
          "Successfully provisioned volume " + name);
    } else if (r instanceof CommandResult.Rejected rej && !"AlreadyExists".equals(rej.status().getReason())) {
      log.warn("local-path: volume {} for claim {}/{} refused: {}", name, m.getNamespace(), m.getName(),
          rej.status().getMessage());
    }
  }

  /**
   * A ProvisioningFailed event, then the claim without its selected-node annotation (at the
   * version read: a claim changed meanwhile is looked at again on the next pass).
   */
  private void reschedule(PersistentVolumeClaim claim, String why) throws InterruptedException {
    ObjectMeta m = claim.getMetadata();
    events.record(reference(claim), EventRecorder.WARNING, "ProvisioningFailed", why);
    PersistentVolumeClaim back = PersistentVolumeClaim.newBuilder(claim).build();
    Map<String, String> annotations = new java.util.HashMap<>(m.getAnnotations());
    annotations.remove(VolumeClaims.SELECTED_NODE);
    back.setMetadata(ObjectMeta.newBuilder(m).setAnnotations(annotations).build());
    CommandResult r = await(client.update(back));
    if (r instanceof CommandResult.Accepted) {
      handedBack.add(m.getUid() + "@" + m.getResourceVersion());
      log.info("local-path: claim {}/{} handed back to the scheduler: {}", m.getNamespace(), m.getName(), why);
    } else if (r instanceof CommandResult.Rejected rej) {
      log.info("local-path: claim {}/{} not handed back ({}): {}", m.getNamespace(), m.getName(),
          rej.status().getMessage(), why);
    }
  }

  private static ObjectReference reference(PersistentVolumeClaim claim) {
    ObjectMeta m = claim.getMetadata();
    return ObjectReference.newBuilder().setKind("PersistentVolumeClaim").setApiVersion("v1")
        .setNamespace(m.getNamespace()).setName(m.getName()).setUid(m.getUid())
        .setResourceVersion(m.getResourceVersion()).build();
  }

  private void deleteIfReleased(PersistentVolume v) throws InterruptedException {
    ObjectMeta m = v.getMetadata();
    if (!PROVISIONER.equals(VolumeClaims.annotation(m, VolumeClaims.PROVISIONED_BY).orElse(null))
        || m.getDeletionTimestamp() != null // deleted already: its pv-protection finalizer holds it a moment
        || v.getSpec() == null || v.getSpec().getHostPath() == null || v.getStatus() == null
        || !VolumeClaims.RELEASED.equals(v.getStatus().getPhase())
        || !"Delete".equals(v.getSpec().getPersistentVolumeReclaimPolicy())) {
      return;
    }
    Path dir = Path.of(v.getSpec().getHostPath().getPath()).toAbsolutePath().normalize();
    if (!dir.startsWith(root) || dir.equals(root)) {
      return; // another node's volume (or not one this provisioner made)
    }
    try {
      removeTree(dir);
    } catch (IOException e) {
      log.warn("local-path: cannot remove {} of released volume {}: {}", dir, m.getName(), e.toString());
      return;
    }
    CommandResult r = await(client.delete(Kinds.PERSISTENT_VOLUME, "", m.getName(), null));
    if (r instanceof CommandResult.Accepted) {
      log.info("local-path: deleted released volume {} and its directory {}", m.getName(), dir);
    }
  }

  static void removeTree(Path dir) throws IOException {
    if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Files.walkFileTree(dir, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.delete(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
        if (e != null) {
          throw e;
        }
        Files.delete(d);
        return FileVisitResult.CONTINUE;
      }
    });
  }

  private static CommandResult await(java.util.concurrent.CompletableFuture<CommandResult> f)
      throws InterruptedException {
    try {
      return f.get(WRITE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      log.warn("local-path: a write did not complete: {}", e.toString());
      return null;
    }
  }

  @Override
  public void close() {
    for (AutoCloseable h : handlers) {
      try {
        h.close();
      } catch (Exception e) {
        log.debug("closing a handler: {}", e.toString());
      }
    }
    worker.shutdownNow();
  }
}
