package io.capstan.controllers.volume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.Event;
import io.capstan.api.HostPathVolumeSource;
import io.capstan.api.ObjectMeta;
import io.capstan.api.PersistentVolume;
import io.capstan.api.PersistentVolumeClaim;
import io.capstan.api.PersistentVolumeClaimSpec;
import io.capstan.api.PersistentVolumeClaimVolumeSource;
import io.capstan.api.PersistentVolumeSpec;
import io.capstan.api.Pod;
import io.capstan.api.StorageClass;
import io.capstan.api.Volume;
import io.capstan.api.VolumeResourceRequirements;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.controllers.testing.Cluster;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.storage.VolumeClaims;
import io.capstan.stateviews.informer.Informer;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The binder on the real broker: static binding, waiting for a consumer, provisioner hand-off, release, protection. */
class PersistentVolumeBinderKafkaTest {
  static final String NS = "pvb";

  static PersistentVolume volume(String name, String size, String className, String policy) {
    return PersistentVolume.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setName(name).build())
        .setSpec(PersistentVolumeSpec.newBuilder().setCapacity(Map.of("storage", size))
            .setAccessModes(List.of("ReadWriteOnce")).setStorageClassName(className)
            .setPersistentVolumeReclaimPolicy(policy)
            .setHostPath(HostPathVolumeSource.newBuilder().setPath("/srv/" + name).build()).build())
        .build();
  }

  static PersistentVolumeClaim claim(String name, String size, String className) {
    return PersistentVolumeClaim.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace(NS).setName(name).build())
        .setSpec(PersistentVolumeClaimSpec.newBuilder().setAccessModes(List.of("ReadWriteOnce"))
            .setStorageClassName(className)
            .setResources(VolumeResourceRequirements.newBuilder().setRequests(Map.of("storage", size)).build()).build())
        .build();
  }

  static StorageClass storageClass(String name, String bindingMode, Map<String, String> parameters,
      Map<String, String> annotations) {
    return StorageClass.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setName(name).setAnnotations(annotations).build())
        .setProvisioner("example.com/" + name).setVolumeBindingMode(bindingMode).setParameters(parameters).build();
  }

  static String phase(Informer<PersistentVolume> volumes, String name) {
    return volumes.get("", name).map(v -> v.getStatus() == null ? null : v.getStatus().getPhase()).orElse("absent");
  }

  static String phase(Informer<PersistentVolumeClaim> claims, String ns, String name) {
    return claims.get(ns, name).map(c -> c.getStatus() == null ? null : c.getStatus().getPhase()).orElse("absent");
  }

  static boolean hasEvent(Informer<Event> events, String claim, String reason, String message) {
    return events.list(NS).stream().anyMatch(e -> claim.equals(e.getInvolvedObject().getName())
        && reason.equals(e.getReason()) && message.equals(e.getMessage()));
  }

  @Test
  void bindsWaitsHandsOverReleasesAndProtects() throws Exception {
    try (Cluster cluster = new Cluster("pv-binder-it");
        PersistentVolumeBinder binder = new PersistentVolumeBinder(cluster.informers, cluster.writer,
            Clock.systemUTC(), 1, cluster.registry)) {
      Informer<PersistentVolume> volumes = cluster.informers.informerFor(Kinds.PERSISTENT_VOLUME,
          PersistentVolume.class);
      Informer<PersistentVolumeClaim> claims = cluster.informers.informerFor(Kinds.PERSISTENT_VOLUME_CLAIM,
          PersistentVolumeClaim.class);
      Informer<Event> events = cluster.informers.informerFor(Kinds.EVENT, Event.class);
      Informer<Pod> pods = cluster.informers.informerFor(Kinds.POD, Pod.class);
      cluster.startInformers();
      binder.start();
      cluster.namespace(NS);

      // Static binding: the smallest Available volume of the class that holds the request.
      cluster.create(volume("big", "5Gi", "manual", "Retain"));
      cluster.create(volume("small", "2Gi", "manual", "Retain"));
      cluster.create(volume("other-class", "1Gi", "fast", "Retain"));
      Cluster.await("volumes Available", () -> "Available".equals(phase(volumes, "big"))
          && "Available".equals(phase(volumes, "small")), () -> volumes.list().toString());
      assertEquals(List.of("kubernetes.io/pv-protection"), volumes.get("", "big").orElseThrow().getMetadata()
          .getFinalizers());
      cluster.create(claim("data", "1Gi", "manual"));
      Cluster.await("data Bound", () -> "Bound".equals(phase(claims, NS, "data"))
          && "Bound".equals(phase(volumes, "small")), () -> claims.get(NS, "data") + " " + volumes.get("", "small"));
      PersistentVolumeClaim data = claims.get(NS, "data").orElseThrow();
      PersistentVolume small = volumes.get("", "small").orElseThrow();
      assertEquals("small", data.getSpec().getVolumeName());
      assertEquals(Map.of("storage", "2Gi"), data.getStatus().getCapacity());
      assertEquals(List.of("ReadWriteOnce"), data.getStatus().getAccessModes());
      assertEquals("yes", data.getMetadata().getAnnotations().get(VolumeClaims.BIND_COMPLETED));
      assertEquals("yes", data.getMetadata().getAnnotations().get(VolumeClaims.BOUND_BY_CONTROLLER));
      assertEquals(List.of("kubernetes.io/pvc-protection"), data.getMetadata().getFinalizers());
      assertEquals(data.getMetadata().getUid(), small.getSpec().getClaimRef().getUid());
      assertEquals("yes", small.getMetadata().getAnnotations().get(VolumeClaims.BOUND_BY_CONTROLLER));
      assertEquals("Available", phase(volumes, "big"), "the bigger volume stays free");

      // No class and no volume: kube's FailedBinding; a missing class: ProvisioningFailed.
      cluster.create(claim("nothing", "1Gi", ""));
      Cluster.await("FailedBinding", () -> hasEvent(events, "nothing", "FailedBinding",
          "no persistent volumes available for this claim and no storage class is set"));
      cluster.create(claim("classless", "1Gi", "missing"));
      Cluster.await("ProvisioningFailed", () -> hasEvent(events, "classless", "ProvisioningFailed",
          "storageclass.storage.k8s.io \"missing\" not found"));

      // WaitForFirstConsumer: the claim waits until the scheduler names a node, then goes to the provisioner.
      cluster.create(storageClass("wait", "WaitForFirstConsumer", null, null));
      cluster.create(claim("later", "1Gi", "wait"));
      Cluster.await("WaitForFirstConsumer", () -> hasEvent(events, "later", "WaitForFirstConsumer",
          "waiting for first consumer to be created before binding"));
      assertEquals("Pending", phase(claims, NS, "later"));
      PersistentVolumeClaim selected = PodTemplates.copy(claims.get(NS, "later").orElseThrow());
      selected.getMetadata().setAnnotations(Map.of(VolumeClaims.SELECTED_NODE, "node-a"));
      assertTrue(cluster.client.update(selected).get(30, TimeUnit.SECONDS) instanceof CommandResult.Accepted);
      Cluster.await("the provisioner is asked", () -> "example.com/wait".equals(claims.get(NS, "later")
          .flatMap(c -> VolumeClaims.annotation(c.getMetadata(), VolumeClaims.STORAGE_PROVISIONER)).orElse(null)));
      Cluster.await("ExternalProvisioning", () -> hasEvent(events, "later", "ExternalProvisioning",
          "Waiting for a volume to be created either by the external provisioner 'example.com/wait' or manually by "
              + "the system administrator. If volume creation is delayed, please verify that the provisioner is "
              + "running and correctly registered."));
      // A volume made for it, pre-bound by claimRef as a provisioner makes it, is bound to it.
      PersistentVolume made = volume("pvc-later", "1Gi", "wait", "Delete");
      made.getMetadata().setAnnotations(Map.of(VolumeClaims.PROVISIONED_BY, "example.com/wait"));
      made.getSpec().setClaimRef(VolumeClaims.claimRef(claims.get(NS, "later").orElseThrow()));
      cluster.create(made);
      Cluster.await("later Bound to its provisioned volume", () -> "Bound".equals(phase(claims, NS, "later"))
          && "Bound".equals(phase(volumes, "pvc-later")), () -> claims.get(NS, "later") + " " + volumes.get("", "pvc-later"));

      // A claim in use stays while its pod does (pvc-protection); then it goes and its volume is Released.
      Pod user = Pod.newBuilder()
          .setMetadata(ObjectMeta.newBuilder().setNamespace(NS).setName("user").build())
          .setSpec(Cluster.template(Map.of("app", "user"), "busybox").getSpec()).build();
      user.getSpec().setVolumes(List.of(Volume.newBuilder().setName("data").setPersistentVolumeClaim(
          PersistentVolumeClaimVolumeSource.newBuilder().setClaimName("data").build()).build()));
      cluster.create(user);
      Cluster.await("pod cached", () -> pods.get(NS, "user").isPresent());
      cluster.client.delete(Kinds.PERSISTENT_VOLUME_CLAIM, NS, "data", null).get(30, TimeUnit.SECONDS);
      Cluster.await("data terminating", () -> claims.get(NS, "data")
          .map(c -> c.getMetadata().getDeletionTimestamp() != null).orElse(false));
      Thread.sleep(500);
      assertTrue(claims.get(NS, "data").isPresent(), "a claim a pod uses is kept");
      cluster.client.delete(Kinds.POD, NS, "user", null).get(30, TimeUnit.SECONDS);
      Cluster.await("data gone", () -> claims.get(NS, "data").isEmpty());
      Cluster.await("small Released", () -> "Released".equals(phase(volumes, "small")),
          () -> String.valueOf(volumes.get("", "small")));

      // A Released volume with Delete and no provisioner cannot be deleted: Failed, as kube says.
      cluster.client.delete(Kinds.PERSISTENT_VOLUME_CLAIM, NS, "nothing", null).get(30, TimeUnit.SECONDS);
      Cluster.await("nothing gone", () -> claims.get(NS, "nothing").isEmpty()); // it would take the next volume
      cluster.create(volume("manual-delete", "1Gi", "", "Delete"));
      cluster.create(claim("short", "1Gi", ""));
      Cluster.await("short Bound", () -> "Bound".equals(phase(claims, NS, "short")));
      cluster.client.delete(Kinds.PERSISTENT_VOLUME_CLAIM, NS, "short", null).get(30, TimeUnit.SECONDS);
      Cluster.await("manual-delete Failed", () -> "Failed".equals(phase(volumes, "manual-delete")),
          () -> String.valueOf(volumes.get("", "manual-delete")));
      assertEquals("error getting deleter volume plugin for volume \"manual-delete\": no deletable volume plugin "
          + "matched", volumes.get("", "manual-delete").orElseThrow().getStatus().getMessage());

      // pv-protection: a volume no longer bound goes when deleted.
      cluster.client.delete(Kinds.PERSISTENT_VOLUME, "", "small", null).get(30, TimeUnit.SECONDS);
      Cluster.await("small gone", () -> volumes.get("", "small").isEmpty());
    }
  }

  @Test
  void claimsGetTheDefaultClassAndStayWithinTheClassLimit() throws Exception {
    try (Cluster cluster = new Cluster("pv-admission-it")) {
      cluster.startInformers();
      cluster.namespace(NS);
      cluster.create(storageClass("capped", "Immediate", Map.of("maxSize", "1Gi"),
          Map.of("storageclass.kubernetes.io/is-default-class", "true")));
      // The class reaches every partition's admission through its global table: retry until it has.
      PersistentVolumeClaim defaulted = null;
      for (int i = 0; i < 100 && defaulted == null; i++) {
        PersistentVolumeClaim c = cluster.create(claim("probe-" + i, "1Gi", null))
            .objectAs(PersistentVolumeClaim.class);
        if (c.getSpec().getStorageClassName() != null) {
          defaulted = c;
        } else {
          Thread.sleep(100);
        }
      }
      assertTrue(defaulted != null, "a claim without a class gets the default class");
      assertEquals("capped", defaulted.getSpec().getStorageClassName());
      CommandResult big = cluster.client.create(claim("big", "2Gi", "capped")).get(30, TimeUnit.SECONDS);
      assertTrue(big instanceof CommandResult.Rejected, String.valueOf(big));
      CommandResult.Rejected rej = (CommandResult.Rejected) big;
      assertEquals(422, rej.status().getCode());
      assertTrue(rej.status().getMessage().contains("spec.resources.requests[storage]: Invalid value: \"2Gi\": must be "
          + "no more than 1Gi, the maxSize of StorageClass \"capped\""), rej.status().getMessage());
      // A pending claim's request is immutable; growing a bound one needs an expandable class.
      PersistentVolumeClaim grown = PodTemplates.copy(defaulted);
      grown.getSpec().getResources().setRequests(Map.of("storage", "2Gi"));
      CommandResult r = cluster.client.update(grown).get(30, TimeUnit.SECONDS);
      assertTrue(r instanceof CommandResult.Rejected rr && rr.status().getMessage().contains(
          "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"),
          String.valueOf(r));
    }
  }
}
