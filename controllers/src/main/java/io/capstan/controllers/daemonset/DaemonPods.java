package io.capstan.controllers.daemonset;

import io.capstan.api.Affinity;
import io.capstan.api.DaemonSet;
import io.capstan.api.Node;
import io.capstan.api.NodeAffinity;
import io.capstan.api.NodeSelector;
import io.capstan.api.NodeSelectorRequirement;
import io.capstan.api.NodeSelectorTerm;
import io.capstan.api.Pod;
import io.capstan.api.PodSpec;
import io.capstan.api.Taint;
import io.capstan.api.Toleration;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.nodeaffinity.NodeSelectorMatcher;
import io.capstan.logschema.taints.TaintKeys;
import io.capstan.logschema.taints.Tolerations;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.specific.SpecificData;

/**
 * Which nodes a DaemonSet runs on and the pods it puts there, as kube's daemon controller
 * (NodeShouldRunDaemonPod, AddOrUpdateDaemonPodTolerations, ReplaceDaemonSetPodNodeNameNodeAffinity,
 * GetTargetNodeName). Pure functions of the objects.
 */
public final class DaemonPods {
  /** The label that names the ControllerRevision a daemon pod was made from. */
  public static final String REVISION_HASH_LABEL = io.capstan.controllers.revision.RevisionHistory.HASH_LABEL;
  /** metav1.ObjectNameField: the node field a node affinity term can select on. */
  static final String NAME_FIELD = "metadata.name";

  private DaemonPods() {}

  /** Whether a daemon pod should be started on the node, and whether one already there may keep running. */
  public record Placement(boolean shouldRun, boolean shouldContinueRunning) {
    static final Placement NO = new Placement(false, false);
  }

  /**
   * NodeShouldRunDaemonPod: the template's nodeName (if any) is this node, its node selector and
   * required node affinity match the node, and it (with the daemon tolerations) tolerates the
   * node's NoSchedule and NoExecute taints. A node with an untolerated NoSchedule taint only keeps
   * the pods it already runs; one with an untolerated NoExecute taint keeps none.
   */
  public static Placement placement(Node node, DaemonSet ds) {
    PodSpec template = ds.getSpec().getTemplate().getSpec();
    String nodeName = node.getMetadata().getName();
    if (template.getNodeName() != null && !template.getNodeName().isEmpty() && !template.getNodeName().equals(nodeName)) {
      return Placement.NO;
    }
    Map<String, String> labels = node.getMetadata().getLabels() == null ? Map.of() : node.getMetadata().getLabels();
    if (!NodeSelectorMatcher.requiredMatches(template, nodeName, labels)) {
      return Placement.NO;
    }
    List<Taint> taints = node.getSpec() == null || node.getSpec().getTaints() == null ? List.of()
        : node.getSpec().getTaints();
    List<Toleration> tolerations = tolerations(template);
    boolean fitsTaints = Tolerations.firstUntolerated(taints, tolerations,
        t -> TaintKeys.NO_EXECUTE.equals(t.getEffect()) || TaintKeys.NO_SCHEDULE.equals(t.getEffect())) == null;
    if (fitsTaints) {
      return new Placement(true, true);
    }
    boolean noExecuteTolerated = Tolerations.firstUntolerated(taints, tolerations,
        t -> TaintKeys.NO_EXECUTE.equals(t.getEffect())) == null;
    return new Placement(false, noExecuteTolerated);
  }

  /**
   * The template's tolerations plus the ones every daemon pod gets (AddOrUpdateDaemonPodTolerations):
   * not-ready and unreachable NoExecute without a time limit, so daemon pods are not evicted from a
   * lost node; disk-, memory- and pid-pressure and unschedulable NoSchedule; network-unavailable
   * NoSchedule for host-network pods, which need no pod network.
   */
  public static List<Toleration> tolerations(PodSpec spec) {
    List<Toleration> out = new ArrayList<>(spec.getTolerations() == null ? List.of() : spec.getTolerations());
    addOrUpdate(out, TaintKeys.NOT_READY, TaintKeys.NO_EXECUTE);
    addOrUpdate(out, TaintKeys.UNREACHABLE, TaintKeys.NO_EXECUTE);
    addOrUpdate(out, TaintKeys.DISK_PRESSURE, TaintKeys.NO_SCHEDULE);
    addOrUpdate(out, TaintKeys.MEMORY_PRESSURE, TaintKeys.NO_SCHEDULE);
    addOrUpdate(out, TaintKeys.PID_PRESSURE, TaintKeys.NO_SCHEDULE);
    addOrUpdate(out, TaintKeys.UNSCHEDULABLE, TaintKeys.NO_SCHEDULE);
    if (Boolean.TRUE.equals(spec.getHostNetwork())) {
      addOrUpdate(out, TaintKeys.NETWORK_UNAVAILABLE, TaintKeys.NO_SCHEDULE);
    }
    return out;
  }

  /** v1helper.AddOrUpdateTolerationInPodSpec: an equal toleration is kept; one with the same key and effect is replaced. */
  private static void addOrUpdate(List<Toleration> tolerations, String key, String effect) {
    Toleration wanted = Toleration.newBuilder().setKey(key).setOperator("Exists").setEffect(effect).build();
    for (int i = 0; i < tolerations.size(); i++) {
      Toleration t = tolerations.get(i);
      if (key.equals(t.getKey()) && effect.equals(t.getEffect()) && "Exists".equals(t.getOperator())
          && t.getTolerationSeconds() == null) {
        return;
      }
      if (key.equals(t.getKey()) && effect.equals(t.getEffect())) {
        tolerations.set(i, wanted);
        return;
      }
    }
    tolerations.add(wanted);
  }

  /**
   * A new daemon pod for the node, unbound: the template with the revision hash label, the daemon
   * tolerations, and required node affinity narrowed to a single {@code metadata.name} term for the
   * node, so the scheduler places it there (as kube's controller does since ScheduleDaemonSetPods).
   */
  public static Pod podFor(DaemonSet ds, String nodeName, String hash) {
    Pod pod = PodTemplates.podFor(ds.getSpec().getTemplate(), Kinds.DAEMON_SET, ds.getMetadata(),
        Map.of(REVISION_HASH_LABEL, hash));
    PodSpec spec = pod.getSpec();
    spec.setTolerations(tolerations(spec));
    spec.setAffinity(withNodeNameAffinity(spec.getAffinity(), nodeName));
    return pod;
  }

  /**
   * ReplaceDaemonSetPodNodeNameNodeAffinity: required node affinity becomes one term selecting the
   * node by name (the controller has already checked the template's own terms); preferred terms
   * and pod (anti-)affinity stay.
   */
  static Affinity withNodeNameAffinity(Affinity affinity, String nodeName) {
    NodeSelectorTerm term = NodeSelectorTerm.newBuilder().setMatchFields(List.of(NodeSelectorRequirement.newBuilder()
        .setKey(NAME_FIELD).setOperator("In").setValues(List.of(nodeName)).build())).build();
    NodeSelector selector = NodeSelector.newBuilder().setNodeSelectorTerms(List.of(term)).build();
    Affinity out = affinity == null ? Affinity.newBuilder().build()
        : SpecificData.get().deepCopy(Affinity.getClassSchema(), affinity);
    NodeAffinity na = out.getNodeAffinity() == null ? NodeAffinity.newBuilder().build() : out.getNodeAffinity();
    na.setRequiredDuringSchedulingIgnoredDuringExecution(selector);
    out.setNodeAffinity(na);
    return out;
  }

  /**
   * GetTargetNodeName: the node a daemon pod is bound to, or, while unbound, the node its
   * {@code metadata.name} affinity term names; empty when neither says.
   */
  public static Optional<String> targetNode(Pod pod) {
    PodSpec spec = pod.getSpec();
    if (spec == null) {
      return Optional.empty();
    }
    if (spec.getNodeName() != null && !spec.getNodeName().isEmpty()) {
      return Optional.of(spec.getNodeName());
    }
    NodeSelector required = spec.getAffinity() == null || spec.getAffinity().getNodeAffinity() == null ? null
        : spec.getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution();
    if (required == null || required.getNodeSelectorTerms() == null) {
      return Optional.empty();
    }
    for (NodeSelectorTerm term : required.getNodeSelectorTerms()) {
      if (term.getMatchFields() == null) {
        continue;
      }
      for (NodeSelectorRequirement r : term.getMatchFields()) {
        if (NAME_FIELD.equals(r.getKey()) && "In".equals(r.getOperator()) && r.getValues() != null
            && r.getValues().size() == 1) {
          return Optional.of(r.getValues().get(0));
        }
      }
    }
    return Optional.empty();
  }

  /** The revision hash a pod was made from, or "" (IsPodUpdated compares it with the current one). */
  public static String hashOf(Pod pod) {
    Map<String, String> labels = pod.getMetadata().getLabels();
    String h = labels == null ? null : labels.get(REVISION_HASH_LABEL);
    return h == null ? "" : h;
  }
}
