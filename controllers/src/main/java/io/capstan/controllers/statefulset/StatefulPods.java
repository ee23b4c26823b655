package io.capstan.controllers.statefulset;

import io.capstan.api.Pod;
import io.capstan.api.PodTemplateSpec;
import io.capstan.api.StatefulSet;
import io.capstan.controllers.revision.RevisionHistory;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.logschema.kinds.Kinds;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A StatefulSet pod's identity, as kube's stateful_set_utils: the name {@code <set>-<ordinal>},
 * the labels {@code statefulset.kubernetes.io/pod-name} and {@code apps.kubernetes.io/pod-index},
 * the hostname (the pod's name) and subdomain (the set's serviceName), and the revision label
 * {@code controller-revision-hash} holding the name of the ControllerRevision the pod was made
 * from. Pure functions of the objects.
 */
public final class StatefulPods {
  public static final String POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name";
  public static final String POD_INDEX_LABEL = "apps.kubernetes.io/pod-index";
  private static final Pattern NAME = Pattern.compile("(.*)-([0-9]+)$");

  private StatefulPods() {}

  public static String podName(StatefulSet set, int ordinal) {
    return set.getMetadata().getName() + "-" + ordinal;
  }

  /** getParentNameAndOrdinal: the ordinal in a pod's name when its parent is this set, else -1. */
  public static int ordinal(StatefulSet set, Pod pod) {
    Matcher m = NAME.matcher(pod.getMetadata().getName());
    if (!m.matches() || !m.group(1).equals(set.getMetadata().getName())) {
      return -1;
    }
    try {
      return Integer.parseInt(m.group(2));
    } catch (NumberFormatException e) {
      return -1; // more digits than an int: not one of ours
    }
  }

  /** The first ordinal (spec.ordinals.start, 0 by default). */
  public static int start(StatefulSet set) {
    return set.getSpec().getOrdinals() == null || set.getSpec().getOrdinals().getStart() == null ? 0
        : set.getSpec().getOrdinals().getStart();
  }

  public static int replicas(StatefulSet set) {
    return set.getSpec().getReplicas() == null ? 1 : set.getSpec().getReplicas();
  }

  /** The name of the revision a pod was made from ("" when it carries none). */
  public static String revision(Pod pod) {
    Map<String, String> labels = pod.getMetadata().getLabels();
    String r = labels == null ? null : labels.get(RevisionHistory.HASH_LABEL);
    return r == null ? "" : r;
  }

  /**
   * newStatefulSetPod: the template as pod {@code <set>-<ordinal>}, controlled by the set, with its
   * identity and the revision it was made from.
   */
  public static Pod newPod(StatefulSet set, PodTemplateSpec template, int ordinal, String revisionName) {
    Pod pod = PodTemplates.podFor(template, Kinds.STATEFUL_SET, set.getMetadata(),
        Map.of(RevisionHistory.HASH_LABEL, revisionName));
    pod.getMetadata().setGenerateName(null);
    pod.getMetadata().setName(podName(set, ordinal));
    updateIdentity(set, pod, ordinal);
    return pod;
  }

  /** identityMatches: name, namespace, pod-name and pod-index labels, hostname and subdomain as the set says. */
  public static boolean identityMatches(StatefulSet set, Pod pod) {
    int ordinal = ordinal(set, pod);
    Map<String, String> labels = pod.getMetadata().getLabels() == null ? Map.of() : pod.getMetadata().getLabels();
    return ordinal >= 0 && Objects.equals(set.getMetadata().getNamespace(), pod.getMetadata().getNamespace())
        && pod.getMetadata().getName().equals(labels.get(POD_NAME_LABEL))
        && String.valueOf(ordinal).equals(labels.get(POD_INDEX_LABEL))
        && pod.getSpec() != null && pod.getMetadata().getName().equals(pod.getSpec().getHostname())
        && Objects.equals(subdomain(set), emptyToNull(pod.getSpec().getSubdomain()));
  }

  /** updateIdentity: sets the identity labels, the hostname and the subdomain. */
  public static void updateIdentity(StatefulSet set, Pod pod, int ordinal) {
    Map<String, String> labels = pod.getMetadata().getLabels() == null ? new HashMap<>()
        : new HashMap<>(pod.getMetadata().getLabels());
    labels.put(POD_NAME_LABEL, pod.getMetadata().getName());
    labels.put(POD_INDEX_LABEL, String.valueOf(ordinal));
    pod.getMetadata().setLabels(labels);
    pod.getSpec().setHostname(pod.getMetadata().getName());
    pod.getSpec().setSubdomain(subdomain(set));
  }

  private static String subdomain(StatefulSet set) {
    return emptyToNull(set.getSpec().getServiceName());
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }
}
