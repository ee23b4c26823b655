package io.capstan.stateviews.processor;

import static io.capstan.stateviews.processor.ProcessorHarness.configMap;
import static io.capstan.stateviews.processor.ProcessorHarness.meta;
import static io.capstan.stateviews.processor.ProcessorHarness.object;
import static io.capstan.stateviews.processor.ProcessorHarness.pod;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ClusterRole;
import io.capstan.api.ClusterRoleBinding;
import io.capstan.api.HostPathVolumeSource;
import io.capstan.api.Lease;
import io.capstan.api.LeaseSpec;
import io.capstan.api.Node;
import io.capstan.api.NodeSelector;
import io.capstan.api.NodeSelectorRequirement;
import io.capstan.api.NodeSelectorTerm;
import io.capstan.api.NodeSpec;
import io.capstan.api.ObjectMeta;
import io.capstan.api.PersistentVolume;
import io.capstan.api.PersistentVolumeClaim;
import io.capstan.api.PersistentVolumeSpec;
import io.capstan.api.Pod;
import io.capstan.api.PolicyRule;
import io.capstan.api.ReplicaSet;
import io.capstan.api.RoleRef;
import io.capstan.api.Secret;
import io.capstan.api.Subject;
import io.capstan.api.Taint;
import io.capstan.api.VolumeNodeAffinity;
import io.capstan.log.Command;
import io.capstan.log.CommandOp;
import io.capstan.log.Reply;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kinds;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The processor authorizes the commands of Capstan's components by RBAC (the default roles) and,
 * for nodes, NodeRestriction; a refusal is kube's 403 and stores nothing. Users' commands (the
 * gateway authorized them) are not judged.
 */
class ComponentAuthorizationTest {
  private static final String SCHEDULER = "system:kube-scheduler";
  private static final String CONTROLLERS = "system:kube-controller-manager";
  private static final String NODE_1 = "system:node:n1";

  private final ProcessorHarness h = new ProcessorHarness();

  @BeforeEach
  void setUp() {
    h.withNamespace("apps");
    h.withNamespace("kube-node-lease");
  }

  @AfterEach
  void close() {
    h.close();
  }

  private static Command as(String actor, Command cmd) {
    cmd.setActor(actor);
    return cmd;
  }

  /** A refusal: 403 Forbidden with kube's message, and nothing written. */
  private void assertForbidden(Command cmd, String message) {
    Reply r = h.send(cmd);
    assertEquals(403, r.getStatus() == null ? 200 : r.getStatus().getCode(), () -> "expected 403 for " + cmd.getOp()
        + " " + cmd.getKind() + " " + cmd.getName() + " by " + cmd.getActor() + ", got " + r.getStatus());
    assertEquals("Forbidden", r.getStatus().getReason());
    assertEquals(message, r.getStatus().getMessage());
    assertTrue(h.events().isEmpty(), "a refused command writes no event");
  }

  private Pod boundPod(String name, String node) {
    h.accept(h.create(pod("apps", name)));
    Pod bound = h.accept(h.command(CommandOp.BIND, Kinds.POD, "apps", name).setNodeName(node).build());
    h.drain();
    return bound;
  }

  @Test
  void theSchedulerBindsPodsButWritesNothingElse() {
    h.accept(h.create(pod("apps", "web")));
    h.drain();

    Pod bound = h.accept(as(SCHEDULER, h.command(CommandOp.BIND, Kinds.POD, "apps", "web").setNodeName("n1").build()));
    assertEquals("n1", bound.getSpec().getNodeName());
    assertEquals(SCHEDULER, h.events().get(0).getActor(), "the event names the component");

    assertForbidden(as(SCHEDULER, h.create(configMap("apps", "cfg", Map.of("a", "b")))),
        "configmaps is forbidden: User \"system:kube-scheduler\" cannot create resource \"configmaps\" in API"
            + " group \"\" in the namespace \"apps\"");
    assertForbidden(as(SCHEDULER, h.delete(Kinds.NAMESPACE, "", "apps")),
        "namespaces \"apps\" is forbidden: User \"system:kube-scheduler\" cannot delete resource \"namespaces\" in API"
            + " group \"\" at the cluster scope");
    String scrape = h.registry.scrape();
    assertTrue(scrape.contains("capstan_processor_commands_total{kind=\"ConfigMap\",op=\"CREATE\",result=\"Forbidden\"}"
        + " 1.0"), "refusals are counted");
  }

  @Test
  void aStatusUpdateOfAPodOnAnotherNodeIsRefused() {
    Pod mine = boundPod("mine", "n1");
    Pod theirs = boundPod("theirs", "n2");

    mine.getStatus().setPhase("Running");
    Pod running = h.accept(as(NODE_1, h.updateStatus(mine)));
    assertEquals("Running", running.getStatus().getPhase());
    h.drain();

    theirs.getStatus().setPhase("Failed");
    assertForbidden(as(NODE_1, h.updateStatus(theirs)),
        "pods \"theirs\" is forbidden: node \"n1\" can only update pod status for pods with spec.nodeName set to itself");
    assertForbidden(as(NODE_1, h.delete(Kinds.POD, "apps", "theirs")),
        "pods \"theirs\" is forbidden: node \"n1\" can only delete pods with spec.nodeName set to itself");
    assertForbidden(as(NODE_1, h.update(theirs)),
        "pods \"theirs\" is forbidden: User \"system:node:n1\" cannot update resource \"pods\" in API group \"\" in the"
            + " namespace \"apps\"");
    Reply deleted = h.send(as(NODE_1, h.delete(Kinds.POD, "apps", "mine")));
    assertTrue(deleted.getAccepted(), () -> String.valueOf(deleted.getStatus()));
  }

  @Test
  void aNodeCreatesOnlyMirrorPodsBoundToItself() {
    assertForbidden(as(NODE_1, h.create(pod("apps", "plain"))),
        "pods \"plain\" is forbidden: pod does not have \"kubernetes.io/config.mirror\" annotation, node \"n1\" can only"
            + " create mirror pods");
    Pod elsewhere = pod("apps", "static-web");
    elsewhere.getMetadata().setAnnotations(Map.of("kubernetes.io/config.mirror", "abc"));
    elsewhere.getSpec().setNodeName("n2");
    assertForbidden(as(NODE_1, h.create(elsewhere)),
        "pods \"static-web\" is forbidden: node \"n1\" can only create pods with spec.nodeName set to itself");
  }

  @Test
  void aNodeWritesOnlyItsOwnNode() {
    Node own = h.accept(as(NODE_1, h.create(node("n1"))));
    h.drain();
    assertForbidden(as(NODE_1, h.create(node("n2"))),
        "nodes \"n2\" is forbidden: node \"n1\" is not allowed to modify node \"n2\"");

    Node stored = h.accept(as(NODE_1, h.updateStatus(own)));
    h.drain();
    stored.getSpec().setTaints(List.of(Taint.newBuilder().setKey("k").setEffect("NoSchedule").build()));
    Node tainted = stored;
    assertForbidden(as(NODE_1, h.update(tainted)), "nodes \"n1\" is forbidden: node \"n1\" is not allowed to modify"
        + " taints");
    // The node lifecycle controller may taint it.
    Node byController = h.accept(as(CONTROLLERS, h.update(tainted)));
    assertEquals("k", byController.getSpec().getTaints().get(0).getKey());
  }

  @Test
  void aNodeWritesOnlyItsOwnLease() {
    Reply own = h.send(as(NODE_1, h.create(lease("kube-node-lease", "n1"))));
    assertTrue(own.getAccepted(), () -> String.valueOf(own.getStatus()));
    h.drain();
    assertForbidden(as(NODE_1, h.create(lease("kube-node-lease", "n2"))),
        "leases.coordination.k8s.io \"n2\" is forbidden: can only access node lease with the same name as the"
            + " requesting node");
    assertForbidden(as(NODE_1, h.create(lease("apps", "n1"))),
        "leases.coordination.k8s.io \"n1\" is forbidden: can only access leases in the \"kube-node-lease\" system"
            + " namespace");
  }

  @Test
  void aNodeProvisionsOnlyVolumesPinnedToItself() {
    Reply own = h.send(as(NODE_1, h.create(volume("pv-1", "n1"))));
    assertTrue(own.getAccepted(), () -> String.valueOf(own.getStatus()));
    h.drain();
    assertForbidden(as(NODE_1, h.create(volume("pv-2", "n2"))),
        "persistentvolumes \"pv-2\" is forbidden: node \"n1\" can only create persistent volumes with a node affinity"
            + " to itself");
    h.accept(h.create(volume("pv-3", "n2")));
    h.drain();
    assertForbidden(as(NODE_1, h.delete(Kinds.PERSISTENT_VOLUME, "", "pv-3")),
        "persistentvolumes \"pv-3\" is forbidden: node \"n1\" can only delete persistent volumes with a node affinity"
            + " to itself");
    assertForbidden(as(NODE_1, h.create(Secret.newBuilder().setMetadata(meta("apps", "s").build()).build())),
        "secrets is forbidden: User \"system:node:n1\" cannot create resource \"secrets\" in API group \"\" in the"
            + " namespace \"apps\"");
  }

  @Test
  void aNodeHandsBackOnlyClaimsSelectedForItAndChangesNothingElse() {
    PersistentVolumeClaim mine = h.accept(h.create(claim("mine", "n1")));
    PersistentVolumeClaim theirs = h.accept(h.create(claim("theirs", "n2")));
    h.drain();
    String refusal = " is forbidden: node \"n1\" can only remove the volume.kubernetes.io/selected-node annotation"
        + " naming itself from persistent volume claims";

    mine.getMetadata().setLabels(Map.of("tampered", "yes"));
    mine.getMetadata().setAnnotations(Map.of());
    assertForbidden(as(NODE_1, h.update(mine)), "persistentvolumeclaims \"mine\"" + refusal);
    theirs.getMetadata().setAnnotations(Map.of());
    assertForbidden(as(NODE_1, h.update(theirs)), "persistentvolumeclaims \"theirs\"" + refusal);

    mine.getMetadata().setLabels(null);
    PersistentVolumeClaim back = h.accept(as(NODE_1, h.update(mine)));
    assertTrue(back.getMetadata().getAnnotations() == null || back.getMetadata().getAnnotations().isEmpty(),
        () -> "the selection is gone: " + back.getMetadata());
    h.drain();
    back.getMetadata().setAnnotations(Map.of("volume.kubernetes.io/selected-node", "n1"));
    assertForbidden(as(NODE_1, h.update(back)), "persistentvolumeclaims \"mine\"" + refusal);
  }

  @Test
  void theControllerManagerCreatesWhatControllersMakeAndNoSecretsOrBindings() {
    ReplicaSet rs = (ReplicaSet) KubeJson.fromJson(Kinds.REPLICA_SET, KubeJson.parse("""
        metadata: {name: web-1, namespace: apps}
        spec:
          replicas: 1
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec: {containers: [{name: app, image: busybox}]}
        """)).object();
    Reply created = h.send(as(CONTROLLERS, h.create(rs)));
    assertTrue(created.getAccepted(), () -> String.valueOf(created.getStatus()));
    h.drain();
    assertForbidden(as(CONTROLLERS, h.create(Secret.newBuilder().setMetadata(meta("apps", "s").build()).build())),
        "secrets is forbidden: User \"system:kube-controller-manager\" cannot create resource \"secrets\" in API"
            + " group \"\" in the namespace \"apps\"");
    assertForbidden(as(CONTROLLERS, h.create(adminBinding(CONTROLLERS))),
        "clusterrolebindings.rbac.authorization.k8s.io is forbidden: User"
            + " \"system:kube-controller-manager\" cannot create resource \"clusterrolebindings\" in API group"
            + " \"rbac.authorization.k8s.io\" at the cluster scope");
    Reply deleted = h.send(as(CONTROLLERS, h.delete(Kinds.REPLICA_SET, "apps", "web-1")));
    assertTrue(deleted.getAccepted(), "the garbage collector deletes anything");
  }

  @Test
  void aBindingWrittenLaterGrantsMoreOnceTheProcessorHasReadIt() {
    Command attempt = as(SCHEDULER, h.create(configMap("apps", "cfg", Map.of("a", "b"))));
    assertEquals(403, h.send(attempt).getStatus().getCode());
    h.drain();
    h.accept(h.create(ClusterRole.newBuilder().setMetadata(ObjectMeta.newBuilder().setName("cm-writer").build())
        .setRules(List.of(PolicyRule.newBuilder().setVerbs(List.of("create")).setApiGroups(List.of(""))
            .setResources(List.of("configmaps")).build())).build()));
    h.accept(h.create(ClusterRoleBinding.newBuilder().setMetadata(ObjectMeta.newBuilder().setName("cm-writer").build())
        .setSubjects(List.of(Subject.newBuilder().setKind("User").setName(SCHEDULER)
            .setApiGroup("rbac.authorization.k8s.io").build()))
        .setRoleRef(RoleRef.newBuilder().setApiGroup("rbac.authorization.k8s.io").setKind("ClusterRole")
            .setName("cm-writer").build()).build()));
    h.drain();

    Reply now = h.send(as(SCHEDULER, h.create(configMap("apps", "cfg", Map.of("a", "b")))));
    assertTrue(now.getAccepted(), () -> String.valueOf(now.getStatus()));
    h.drain();

    h.accept(h.delete(Kinds.CLUSTER_ROLE_BINDING, "", "cm-writer"));
    h.drain();
    assertEquals(403, h.send(as(SCHEDULER, h.create(configMap("apps", "cfg-2", Map.of())))).getStatus().getCode(),
        "a deleted binding grants nothing");
  }

  @Test
  void usersCommandsAreTheGatewaysToJudge() {
    Reply r = h.send(as("alice", h.create(Secret.newBuilder().setMetadata(meta("apps", "s").build()).build())));
    assertTrue(r.getAccepted(), () -> String.valueOf(r.getStatus()));
    assertNull(r.getStatus());
  }

  // ---- objects ----

  private static Node node(String name) {
    return Node.newBuilder().setMetadata(ObjectMeta.newBuilder().setName(name).build())
        .setSpec(NodeSpec.newBuilder().build()).build();
  }

  private static Lease lease(String namespace, String name) {
    return Lease.newBuilder().setMetadata(meta(namespace, name).build())
        .setSpec(LeaseSpec.newBuilder().setHolderIdentity(name).setLeaseDurationSeconds(40).build()).build();
  }

  private static PersistentVolume volume(String name, String node) {
    return PersistentVolume.newBuilder().setMetadata(ObjectMeta.newBuilder().setName(name).build())
        .setSpec(PersistentVolumeSpec.newBuilder().setCapacity(Map.of("storage", "1Gi"))
            .setAccessModes(List.of("ReadWriteOnce"))
            .setHostPath(HostPathVolumeSource.newBuilder().setPath("/tmp/" + name).build())
            .setNodeAffinity(VolumeNodeAffinity.newBuilder().setRequired(NodeSelector.newBuilder()
                .setNodeSelectorTerms(List.of(NodeSelectorTerm.newBuilder().setMatchExpressions(List.of(
                    NodeSelectorRequirement.newBuilder().setKey("kubernetes.io/hostname").setOperator("In")
                        .setValues(List.of(node)).build())).build())).build()).build())
            .build())
        .build();
  }

  private static PersistentVolumeClaim claim(String name, String selectedNode) {
    return (PersistentVolumeClaim) KubeJson.fromText(Kinds.PERSISTENT_VOLUME_CLAIM, """
        metadata:
          name: %s
          namespace: apps
          annotations: {volume.kubernetes.io/selected-node: %s}
        spec:
          accessModes: [ReadWriteOnce]
          resources: {requests: {storage: 1Gi}}
        """.formatted(name, selectedNode)).object();
  }

  private static ClusterRoleBinding adminBinding(String user) {
    return ClusterRoleBinding.newBuilder().setMetadata(ObjectMeta.newBuilder().setName("escalate").build())
        .setSubjects(List.of(Subject.newBuilder().setKind("User").setName(user)
            .setApiGroup("rbac.authorization.k8s.io").build()))
        .setRoleRef(RoleRef.newBuilder().setApiGroup("rbac.authorization.k8s.io").setKind("ClusterRole")
            .setName("cluster-admin").build()).build();
  }
}
