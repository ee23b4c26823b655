package io.capstan.controllers.statefulset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.EmptyDirVolumeSource;
import io.capstan.api.ObjectMeta;
import io.capstan.api.OwnerReference;
import io.capstan.api.PersistentVolumeClaim;
import io.capstan.api.PersistentVolumeClaimSpec;
import io.capstan.api.Pod;
import io.capstan.api.PodCondition;
import io.capstan.api.PodStatus;
import io.capstan.api.PodTemplateSpec;
import io.capstan.api.RollingUpdateStatefulSetStrategy;
import io.capstan.api.StatefulSet;
import io.capstan.api.StatefulSetOrdinals;
import io.capstan.api.StatefulSetPersistentVolumeClaimRetentionPolicy;
import io.capstan.api.StatefulSetSpec;
import io.capstan.api.StatefulSetUpdateStrategy;
import io.capstan.api.Volume;
import io.capstan.api.VolumeResourceRequirements;
import io.capstan.controllers.runtime.OwnerRefs;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.controllers.testing.Cluster;
import io.capstan.logschema.kinds.Kinds;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** One sync's plan, as kube's updateStatefulSet makes it, without a cluster. */
class StatefulSetPlannerTest {
  private static final Instant NOW = Instant.parse("2026-12-06T00:00:00Z");
  private static final PodTemplateSpec V1 = Cluster.template(Map.of("app", "web"), "app:1");
  private static final PodTemplateSpec V2 = Cluster.template(Map.of("app", "web"), "app:2");
  private static final StatefulSetPlanner.Revisions SAME = new StatefulSetPlanner.Revisions("web-r1", V1, "web-r1", V1);
  private static final StatefulSetPlanner.Revisions ROLL = new StatefulSetPlanner.Revisions("web-r1", V1, "web-r2", V2);

  private static StatefulSet set(int replicas, Consumer<StatefulSetSpec> shape) {
    StatefulSetSpec spec = StatefulSetSpec.newBuilder().setReplicas(replicas).setServiceName("web")
        .setSelector(Cluster.selector(Map.of("app", "web"))).setTemplate(V1).setPodManagementPolicy("OrderedReady")
        .setUpdateStrategy(StatefulSetUpdateStrategy.newBuilder().setType("RollingUpdate")
            .setRollingUpdate(RollingUpdateStatefulSetStrategy.newBuilder().setPartition(0).build()).build())
        .build();
    shape.accept(spec);
    return StatefulSet.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("ns").setName("web").setUid("u")
        .build()).setSpec(spec).build();
  }

  /** Pod {@code web-<ordinal>} at a revision, made Running and Ready when asked. */
  private static Pod pod(StatefulSet set, int ordinal, String revision, boolean ready) {
    Pod p = StatefulPods.newPod(set, V1, ordinal, revision);
    p.getMetadata().setUid("uid-" + ordinal);
    if (ready) {
      p.setStatus(PodStatus.newBuilder().setPhase("Running").setConditions(List.of(PodCondition.newBuilder()
          .setType("Ready").setStatus("True").setLastTransitionTime(NOW.minusSeconds(60).toString()).build())).build());
    }
    return p;
  }

  private static List<String> names(List<Pod> pods) {
    List<String> out = new ArrayList<>();
    pods.forEach(p -> out.add(p.getMetadata().getName()));
    return out;
  }

  @Test
  void orderedReadyMakesOnePodAtATimeAndOnlyAfterTheOneBeforeIsReady() {
    StatefulSet s = set(3, x -> { });
    StatefulSetPlanner.Plan p = StatefulSetPlanner.plan(s, SAME, List.of(), NOW);
    assertEquals(List.of("web-0"), names(p.create()));
    Pod created = p.create().get(0);
    assertEquals("web-0", created.getSpec().getHostname());
    assertEquals("web", created.getSpec().getSubdomain());
    assertEquals("web-r1", StatefulPods.revision(created));
    assertTrue(StatefulPods.identityMatches(s, created));
    // web-0 exists but is not ready: nothing more
    assertTrue(StatefulSetPlanner.plan(s, SAME, List.of(pod(s, 0, "web-r1", false)), NOW).isEmpty());
    // ready: web-1 next
    assertEquals(List.of("web-1"), names(StatefulSetPlanner.plan(s, SAME, List.of(pod(s, 0, "web-r1", true)), NOW)
        .create()));
    // a gap (web-1 deleted) is filled before anything above it
    p = StatefulSetPlanner.plan(s, SAME, List.of(pod(s, 0, "web-r1", true), pod(s, 2, "web-r1", true)), NOW);
    assertEquals(List.of("web-1"), names(p.create()));
  }

  @Test
  void parallelMakesAllAtOnceAndStartsAtTheFirstOrdinal() {
    StatefulSet s = set(3, x -> {
      x.setPodManagementPolicy("Parallel");
      x.setOrdinals(StatefulSetOrdinals.newBuilder().setStart(5).build());
    });
    assertEquals(List.of("web-5", "web-6", "web-7"), names(StatefulSetPlanner.plan(s, SAME, List.of(), NOW).create()));
  }

  @Test
  void scaleDownGoesFromTheHighestOrdinalOneAtATimeUnlessParallel() {
    StatefulSet s = set(1, x -> { });
    List<Pod> pods = List.of(pod(s, 0, "web-r1", true), pod(s, 1, "web-r1", true), pod(s, 2, "web-r1", true));
    assertEquals(List.of("web-2"), names(StatefulSetPlanner.plan(s, SAME, pods, NOW).delete()));
    // under OrderedReady an unhealthy pod is deleted only when it is the first unhealthy one
    List<Pod> blocked = List.of(pod(s, 0, "web-r1", true), pod(s, 1, "web-r1", false), pod(s, 2, "web-r1", false));
    assertTrue(StatefulSetPlanner.plan(s, SAME, blocked, NOW).delete().isEmpty());
    List<Pod> first = List.of(pod(s, 0, "web-r1", true), pod(s, 1, "web-r1", true), pod(s, 2, "web-r1", false));
    assertEquals(List.of("web-2"), names(StatefulSetPlanner.plan(s, SAME, first, NOW).delete()));
    // and not at all while a replica that stays is unhealthy
    List<Pod> replicaDown = List.of(pod(s, 0, "web-r1", false), pod(s, 1, "web-r1", true), pod(s, 2, "web-r1", true));
    assertTrue(StatefulSetPlanner.plan(s, SAME, replicaDown, NOW).isEmpty());
    StatefulSet parallel = set(1, x -> x.setPodManagementPolicy("Parallel"));
    assertEquals(List.of("web-2", "web-1"), names(StatefulSetPlanner.plan(parallel, SAME, pods, NOW).delete()));
  }

  @Test
  void aRollingUpdateReplacesFromTheTopDownToThePartitionWithinMaxUnavailable() {
    StatefulSet s = set(4, x -> x.getUpdateStrategy().getRollingUpdate().setPartition(1));
    List<Pod> pods = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      pods.add(pod(s, i, "web-r1", true));
    }
    assertEquals(List.of("web-3"), names(StatefulSetPlanner.plan(s, ROLL, pods, NOW).delete()));
    // with maxUnavailable 2, two at once; never below the partition
    StatefulSet wide = set(4, x -> {
      x.getUpdateStrategy().getRollingUpdate().setPartition(1);
      x.getUpdateStrategy().getRollingUpdate().setMaxUnavailable(2);
      x.setPodManagementPolicy("Parallel");
    });
    assertEquals(List.of("web-3", "web-2"), names(StatefulSetPlanner.plan(wide, ROLL, pods, NOW).delete()));
    List<Pod> oneDown = new ArrayList<>(pods);
    oneDown.set(3, pod(wide, 3, "web-r2", false));
    assertEquals(List.of("web-2"), names(StatefulSetPlanner.plan(wide, ROLL, oneDown, NOW).delete()));
    List<Pod> top = new ArrayList<>(pods);
    top.set(3, pod(wide, 3, "web-r2", true));
    top.set(2, pod(wide, 2, "web-r2", true));
    assertEquals(List.of("web-1"), names(StatefulSetPlanner.plan(wide, ROLL, top, NOW).delete()));
    top.set(1, pod(wide, 1, "web-r2", true));
    assertTrue(StatefulSetPlanner.plan(wide, ROLL, top, NOW).isEmpty(), "web-0 is below the partition");
    // a missing pod below the partition comes back at the current revision, above it at the update revision
    StatefulSetPlanner.Plan p = StatefulSetPlanner.plan(wide, ROLL, List.of(), NOW);
    assertEquals(List.of("web-r1", "web-r2", "web-r2", "web-r2"),
        p.create().stream().map(StatefulPods::revision).toList());
    assertEquals("app:1", p.create().get(0).getSpec().getContainers().get(0).getImage());
    assertEquals("app:2", p.create().get(1).getSpec().getContainers().get(0).getImage());
  }

  @Test
  void onDeleteReplacesNothingButMakesNewPodsAtTheUpdateRevision() {
    StatefulSet s = set(2, x -> x.setUpdateStrategy(StatefulSetUpdateStrategy.newBuilder().setType("OnDelete").build()));
    List<Pod> pods = List.of(pod(s, 0, "web-r1", true), pod(s, 1, "web-r1", true));
    assertTrue(StatefulSetPlanner.plan(s, ROLL, pods, NOW).isEmpty());
    StatefulSetPlanner.Plan p = StatefulSetPlanner.plan(s, ROLL, List.of(pod(s, 0, "web-r1", true)), NOW);
    assertEquals(List.of("web-1"), names(p.create()));
    assertEquals("web-r2", StatefulPods.revision(p.create().get(0)));
  }

  @Test
  void aFailedPodIsDeletedAndDriftedIdentityLabelsPutRightButNeverItsSpec() {
    StatefulSet s = set(3, x -> x.setPodManagementPolicy("Parallel"));
    Pod failed = pod(s, 0, "web-r1", true);
    failed.getStatus().setPhase("Failed");
    Pod drifted = pod(s, 1, "web-r1", true);
    drifted.getMetadata().getLabels().remove(StatefulPods.POD_NAME_LABEL);
    drifted.getMetadata().getLabels().put(StatefulPods.POD_INDEX_LABEL, "7");
    Pod otherSubdomain = pod(s, 2, "web-r1", true);
    otherSubdomain.getSpec().setSubdomain("other"); // fixed at creation, as kube's initIdentity: left alone
    StatefulSetPlanner.Plan p = StatefulSetPlanner.plan(s, SAME, List.of(failed, drifted, otherSubdomain), NOW);
    assertEquals(List.of("web-0"), names(p.delete()));
    assertEquals(List.of("web-1"), names(p.fixIdentity()));
    Pod fixed = p.fixIdentity().get(0);
    assertEquals("web-1", fixed.getMetadata().getLabels().get(StatefulPods.POD_NAME_LABEL));
    assertEquals("1", fixed.getMetadata().getLabels().get(StatefulPods.POD_INDEX_LABEL));
    assertEquals(drifted.getSpec(), fixed.getSpec(), "only metadata changes: a pod's spec is fixed once made");
  }

  // ---- claims from volumeClaimTemplates ----

  private static PersistentVolumeClaim claimTemplate(String name) {
    return PersistentVolumeClaim.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setName(name).setLabels(Map.of("tier", "db")).build())
        .setSpec(PersistentVolumeClaimSpec.newBuilder().setAccessModes(List.of("ReadWriteOnce"))
            .setResources(VolumeResourceRequirements.newBuilder().setRequests(Map.of("storage", "1Gi")).build())
            .build())
        .build();
  }

  private static StatefulSet withClaims(int replicas, String whenDeleted, String whenScaled,
      Consumer<StatefulSetSpec> shape) {
    return set(replicas, x -> {
      x.setVolumeClaimTemplates(List.of(claimTemplate("www"), claimTemplate("logs")));
      x.setPersistentVolumeClaimRetentionPolicy(StatefulSetPersistentVolumeClaimRetentionPolicy.newBuilder()
          .setWhenDeleted(whenDeleted).setWhenScaled(whenScaled).build());
      shape.accept(x);
    });
  }

  /** A stored claim as the controller made it for the replica, with the given owners. */
  private static PersistentVolumeClaim stored(StatefulSet s, String template, int ordinal, OwnerReference... owners) {
    PersistentVolumeClaim c = StatefulPods.claims(s, ordinal).get(template);
    c.getMetadata().setUid("claim-" + template + "-" + ordinal);
    c.getMetadata().setOwnerReferences(owners.length == 0 ? null : List.of(owners));
    return c;
  }

  private static Function<String, PersistentVolumeClaim> lookup(PersistentVolumeClaim... claims) {
    Map<String, PersistentVolumeClaim> byName = new HashMap<>();
    for (PersistentVolumeClaim c : claims) {
      byName.put(c.getMetadata().getName(), c);
    }
    return byName::get;
  }

  private static List<String> claimNames(List<StatefulSetPlanner.ClaimWrite> writes) {
    return writes.stream().map(w -> w.claim().getMetadata().getName() + "@" + w.pod().getMetadata().getName())
        .toList();
  }

  private static List<String> owners(PersistentVolumeClaim c) {
    List<OwnerReference> refs = c.getMetadata().getOwnerReferences();
    return refs == null ? List.of() : refs.stream().map(r -> r.getKind() + "/" + r.getName() + "/" + r.getUid()
        + (Boolean.TRUE.equals(r.getController()) ? "/controller" : "")).toList();
  }

  @Test
  void eachOrdinalGetsItsClaimsBeforeItsPodAndThePodMountsThem() {
    StatefulSet s = withClaims(2, "Retain", "Retain", x -> {
      // a template volume named like a claim template gives way to the claim
      x.setTemplate(PodTemplates.copy(V1)); // V1 is shared
      x.getTemplate().getSpec().setVolumes(List.of(
          Volume.newBuilder().setName("www").setEmptyDir(EmptyDirVolumeSource.newBuilder().build()).build(),
          Volume.newBuilder().setName("cache").setEmptyDir(EmptyDirVolumeSource.newBuilder().build()).build()));
    });
    StatefulSetPlanner.Revisions own = new StatefulSetPlanner.Revisions("web-r1", s.getSpec().getTemplate(), "web-r1",
        s.getSpec().getTemplate());
    StatefulSetPlanner.Plan p = StatefulSetPlanner.plan(s, own, List.of(), lookup(), NOW);
    assertEquals(List.of("web-0"), names(p.create()));
    assertEquals(List.of("www-web-0@web-0", "logs-web-0@web-0"), claimNames(p.createClaims()));
    PersistentVolumeClaim www = p.createClaims().get(0).claim();
    assertEquals("ns", www.getMetadata().getNamespace());
    assertEquals(Map.of("tier", "db", "app", "web"), www.getMetadata().getLabels(), "template labels + selector");
    assertEquals(List.of(), owners(www), "Retain: nobody owns the claim");
    assertEquals("1Gi", www.getSpec().getResources().getRequests().get("storage"));
    Pod web0 = p.create().get(0);
    assertEquals(List.of("www", "logs", "cache"), web0.getSpec().getVolumes().stream().map(Volume::getName).toList());
    assertEquals("www-web-0", web0.getSpec().getVolumes().get(0).getPersistentVolumeClaim().getClaimName());
    assertEquals("logs-web-0", web0.getSpec().getVolumes().get(1).getPersistentVolumeClaim().getClaimName());
    assertTrue(StatefulPods.storageMatches(s, web0));

    // claims that exist are reused: web-0 deleted comes back with no new claim
    Function<String, PersistentVolumeClaim> both = lookup(stored(s, "www", 0), stored(s, "logs", 0));
    p = StatefulSetPlanner.plan(s, SAME, List.of(), both, NOW);
    assertEquals(List.of("web-0"), names(p.create()));
    assertEquals(List.of(), p.createClaims());
    // one of two missing: only that one is made
    p = StatefulSetPlanner.plan(s, SAME, List.of(), lookup(stored(s, "www", 0)), NOW);
    assertEquals(List.of("logs-web-0@web-0"), claimNames(p.createClaims()));
    // a claim being deleted holds its pod back (kube: "pvc ... is being deleted")
    PersistentVolumeClaim going = stored(s, "www", 0);
    going.getMetadata().setDeletionTimestamp(NOW.toString());
    p = StatefulSetPlanner.plan(s, SAME, List.of(), lookup(going, stored(s, "logs", 0)), NOW);
    assertTrue(p.isEmpty(), p::toString);

    // a pending pod whose claim went missing gets it again (createMissingPersistentVolumeClaims)
    Pod pending = StatefulPods.newPod(s, V1, 0, "web-r1");
    pending.getMetadata().setUid("uid-0");
    p = StatefulSetPlanner.plan(s, SAME, List.of(pending), lookup(stored(s, "www", 0)), NOW);
    assertEquals(List.of("logs-web-0@web-0"), claimNames(p.createClaims()));
    assertEquals(List.of(), p.create());
  }

  @Test
  void aPodWithoutItsClaimVolumesIsMadeAgainForItsSpecCannotChange() {
    StatefulSet s = withClaims(2, "Retain", "Retain", x -> { });
    Pod adopted = pod(set(2, x -> { }), 0, "web-r1", true); // an orphan made without the claims
    Pod ok = pod(s, 1, "web-r1", true);
    StatefulSetPlanner.Plan p = StatefulSetPlanner.plan(s, SAME, List.of(adopted, ok),
        lookup(stored(s, "www", 0), stored(s, "logs", 0), stored(s, "www", 1), stored(s, "logs", 1)), NOW);
    assertEquals(List.of("web-0"), names(p.delete()));
    assertEquals(List.of(), p.fixIdentity());
    assertFalse(StatefulPods.storageMatches(s, adopted));
    assertTrue(StatefulPods.storageMatches(s, ok));
  }

  @Test
  void retentionPolicyOwnersOnNewClaimsReplicasAndCondemnedPods() {
    // whenDeleted Delete: the set controls new claims
    StatefulSet del = withClaims(1, "Delete", "Retain", x -> x.setPodManagementPolicy("Parallel"));
    OwnerReference setRef = OwnerRefs.controllerRef(Kinds.STATEFUL_SET, del.getMetadata());
    StatefulSetPlanner.Plan p = StatefulSetPlanner.plan(del, SAME, List.of(), lookup(), NOW);
    assertEquals(List.of("StatefulSet/web/u/controller"), owners(p.createClaims().get(0).claim()));
    // ... and a claim from the Retain days gets the set's reference
    Pod web0 = pod(del, 0, "web-r1", true);
    p = StatefulSetPlanner.plan(del, SAME, List.of(web0), lookup(stored(del, "www", 0), stored(del, "logs", 0, setRef)),
        NOW);
    assertEquals(List.of("www-web-0@web-0"), claimNames(p.updateClaims()));
    assertEquals(List.of("StatefulSet/web/u/controller"), owners(p.updateClaims().get(0).claim()));

    // whenScaled Delete: a condemned pod takes its claims over (and the set lets go) before it is deleted
    StatefulSet scaled = withClaims(1, "Delete", "Delete", x -> x.setPodManagementPolicy("Parallel"));
    Pod web1 = pod(scaled, 1, "web-r1", true);
    OwnerReference setOwns = OwnerRefs.controllerRef(Kinds.STATEFUL_SET, scaled.getMetadata());
    p = StatefulSetPlanner.plan(scaled, SAME, List.of(pod(scaled, 0, "web-r1", true), web1),
        lookup(stored(scaled, "www", 0, setOwns), stored(scaled, "logs", 0, setOwns), stored(scaled, "www", 1, setOwns),
            stored(scaled, "logs", 1, setOwns)), NOW);
    assertEquals(List.of("www-web-1@web-1", "logs-web-1@web-1"), claimNames(p.updateClaims()));
    assertEquals(List.of("Pod/web-1/uid-1/controller"), owners(p.updateClaims().get(0).claim()));
    assertEquals(List.of("web-1"), names(p.delete()));
    // scaled back up before it went: the pod lets go, the set owns again
    StatefulSet back = withClaims(2, "Delete", "Delete", x -> x.setPodManagementPolicy("Parallel"));
    OwnerReference podOwns = OwnerRefs.controllerRef(Kinds.POD, web1.getMetadata());
    p = StatefulSetPlanner.plan(back, SAME, List.of(pod(back, 0, "web-r1", true), web1),
        lookup(stored(back, "www", 0, setOwns), stored(back, "logs", 0, setOwns), stored(back, "www", 1, podOwns),
            stored(back, "logs", 1, podOwns)), NOW);
    assertEquals(List.of("www-web-1@web-1", "logs-web-1@web-1"), claimNames(p.updateClaims()));
    assertEquals(List.of("StatefulSet/web/u/controller"), owners(p.updateClaims().get(1).claim()));
    assertTrue(p.delete().isEmpty());
    // a claim still owned by the pod that was scaled away waits for the garbage collector: no new web-1 yet
    p = StatefulSetPlanner.plan(back, SAME, List.of(pod(back, 0, "web-r1", true)),
        lookup(stored(back, "www", 0, setOwns), stored(back, "logs", 0, setOwns), stored(back, "www", 1, podOwns),
            stored(back, "logs", 1, podOwns)), NOW);
    assertEquals(List.of(), p.create());

    // Retain / Retain: references to the set or pod go; another controller's claim is left as it is
    StatefulSet retain = withClaims(1, "Retain", "Retain", x -> { });
    Pod r0 = pod(retain, 0, "web-r1", true);
    OwnerReference other = OwnerReference.newBuilder().setApiVersion("v1").setKind("ConfigMap").setName("keeper")
        .setUid("k").setController(true).build();
    p = StatefulSetPlanner.plan(retain, SAME, List.of(r0),
        lookup(stored(retain, "www", 0, setOwns), stored(retain, "logs", 0, other)), NOW);
    assertEquals(List.of("www-web-0@web-0"), claimNames(p.updateClaims()));
    assertEquals(List.of(), owners(p.updateClaims().get(0).claim()));
    // under Delete a claim another object controls gets no reference of ours
    p = StatefulSetPlanner.plan(del, SAME, List.of(web0), lookup(stored(del, "www", 0, other), stored(del, "logs", 0,
        setRef)), NOW);
    assertEquals(List.of(), p.updateClaims());
    // a reference to an earlier set of the same name (another uid) is not ours to touch
    OwnerReference earlier = OwnerRefs.controllerRef(Kinds.STATEFUL_SET,
        ObjectMeta.newBuilder().setName("web").setUid("old").build());
    p = StatefulSetPlanner.plan(del, SAME, List.of(web0), lookup(stored(del, "www", 0, earlier),
        stored(del, "logs", 0, setRef)), NOW);
    assertEquals(List.of(), p.updateClaims());
  }

  @Test
  void minReadySecondsHoldsTheNextPodAndSaysWhenToLookAgain() {
    StatefulSet s = set(2, x -> x.setMinReadySeconds(300));
    StatefulSetPlanner.Plan p = StatefulSetPlanner.plan(s, SAME, List.of(pod(s, 0, "web-r1", true)), NOW);
    assertTrue(p.create().isEmpty(), "web-0 has been ready 60 s of 300");
    assertEquals(java.time.Duration.ofSeconds(240), p.recheckAfter().orElseThrow());
  }
}
