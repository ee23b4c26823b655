package io.capstan.controllers.statefulset;

import io.capstan.api.ObjectMeta;
import io.capstan.api.PersistentVolumeClaim;
import io.capstan.api.PersistentVolumeClaimVolumeSource;
import io.capstan.api.Pod;
import io.capstan.api.PodTemplateSpec;
import io.capstan.api.StatefulSet;
import io.capstan.api.Volume;
import io.capstan.controllers.revision.RevisionHistory;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.logschema.kinds.Kinds;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A StatefulSet pod's identity, as kube's stateful_set_utils: the name {@code <set>-<ordinal>},
 * the labels {@code statefulset.kubernetes.io/pod-name} and {@code apps.kubernetes.io/pod-index},
 * the hostname (the pod's name) and subdomain (the set's serviceName), and the revision label
 * {@code controller-revision-hash} holding the name of the ControllerRevision the pod was made
 * from, and its claims {@code <template>-<set>-<ordinal>} mounted as the volumes named like the
 * set's volumeClaimTemplates. Pure functions of the objects.
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
   * identity, a volume per claim template and the revision it was made from.
   */
  public static Pod newPod(StatefulSet set, PodTemplateSpec template, int ordinal, String revisionName) {
    Pod pod = PodTemplates.podFor(template, Kinds.STATEFUL_SET, set.getMetadata(),
        Map.of(RevisionHistory.HASH_LABEL, revisionName));
    pod.getMetadata().setGenerateName(null);
    pod.getMetadata().setName(podName(set, ordinal));
    initIdentity(set, pod, ordinal);
    updateStorage(set, pod, ordinal);
    return pod;
  }

  /**
   * identityMatches: name, namespace and the pod-name and pod-index labels as the set says. As
   * kube's, it leaves hostname and subdomain alone: they are set when the pod is made and a pod's
   * spec never changes after.
   */
  public static boolean identityMatches(StatefulSet set, Pod pod) {
    int ordinal = ordinal(set, pod);
    Map<String, String> labels = pod.getMetadata().getLabels() == null ? Map.of() : pod.getMetadata().getLabels();
    return ordinal >= 0 && Objects.equals(set.getMetadata().getNamespace(), pod.getMetadata().getNamespace())
        && pod.getMetadata().getName().equals(labels.get(POD_NAME_LABEL))
        && String.valueOf(ordinal).equals(labels.get(POD_INDEX_LABEL));
  }

  /** updateIdentity: sets the identity labels (metadata only, what an update may change). */
  public static void updateIdentity(Pod pod, int ordinal) {
    Map<String, String> labels = pod.getMetadata().getLabels() == null ? new HashMap<>()
        : new HashMap<>(pod.getMetadata().getLabels());
    labels.put(POD_NAME_LABEL, pod.getMetadata().getName());
    labels.put(POD_INDEX_LABEL, String.valueOf(ordinal));
    pod.getMetadata().setLabels(labels);
  }

  /** initIdentity: the identity labels, and the hostname and subdomain a new pod is made with. */
  static void initIdentity(StatefulSet set, Pod pod, int ordinal) {
    updateIdentity(pod, ordinal);
    pod.getSpec().setHostname(pod.getMetadata().getName());
    pod.getSpec().setSubdomain(subdomain(set));
  }

  public static List<PersistentVolumeClaim> claimTemplates(StatefulSet set) {
    List<PersistentVolumeClaim> t = set.getSpec().getVolumeClaimTemplates();
    return t == null ? List.of() : t;
  }

  /** getPersistentVolumeClaimName: {@code <template>-<set>-<ordinal>}. */
  public static String claimName(StatefulSet set, PersistentVolumeClaim template, int ordinal) {
    return template.getMetadata().getName() + "-" + set.getMetadata().getName() + "-" + ordinal;
  }

  /**
   * getPersistentVolumeClaims: the claims of replica {@code ordinal} by template name, each the
   * template named for the replica, in the set's namespace, labelled with the template's labels and
   * the set's selector's matchLabels. No owners: {@link ClaimRetention} says who owns them.
   */
  public static Map<String, PersistentVolumeClaim> claims(StatefulSet set, int ordinal) {
    Map<String, PersistentVolumeClaim> out = new LinkedHashMap<>();
    for (PersistentVolumeClaim template : claimTemplates(set)) {
      PersistentVolumeClaim claim = PodTemplates.copy(template);
      ObjectMeta meta = claim.getMetadata();
      Map<String, String> labels = meta.getLabels() == null ? new HashMap<>() : new HashMap<>(meta.getLabels());
      if (set.getSpec().getSelector().getMatchLabels() != null) {
        labels.putAll(set.getSpec().getSelector().getMatchLabels());
      }
      claim.setMetadata(ObjectMeta.newBuilder().setName(claimName(set, template, ordinal))
          .setNamespace(set.getMetadata().getNamespace()).setLabels(labels.isEmpty() ? null : labels)
          .setAnnotations(meta.getAnnotations()).build());
      claim.setStatus(null);
      out.put(template.getMetadata().getName(), claim);
    }
    return out;
  }

  /** storageMatches: the pod has, per claim template, a volume of that name using the replica's claim. */
  public static boolean storageMatches(StatefulSet set, Pod pod) {
    int ordinal = ordinal(set, pod);
    if (ordinal < 0) {
      return false;
    }
    Map<String, Volume> volumes = new HashMap<>();
    if (pod.getSpec() != null && pod.getSpec().getVolumes() != null) {
      pod.getSpec().getVolumes().forEach(v -> volumes.put(v.getName(), v));
    }
    for (PersistentVolumeClaim template : claimTemplates(set)) {
      Volume v = volumes.get(template.getMetadata().getName());
      if (v == null || v.getPersistentVolumeClaim() == null
          || !claimName(set, template, ordinal).equals(v.getPersistentVolumeClaim().getClaimName())) {
        return false;
      }
    }
    return true;
  }

  /**
   * updateStorage: a volume per claim template, named like the template, using the replica's claim;
   * a template volume of the same name gives way to it.
   */
  static void updateStorage(StatefulSet set, Pod pod, int ordinal) {
    Map<String, PersistentVolumeClaim> claims = claims(set, ordinal);
    if (claims.isEmpty()) {
      return;
    }
    List<Volume> volumes = new ArrayList<>();
    claims.forEach((name, claim) -> volumes.add(Volume.newBuilder().setName(name)
        .setPersistentVolumeClaim(PersistentVolumeClaimVolumeSource.newBuilder()
            .setClaimName(claim.getMetadata().getName()).setReadOnly(false).build()).build()));
    if (pod.getSpec().getVolumes() != null) {
      for (Volume v : pod.getSpec().getVolumes()) {
        if (!claims.containsKey(v.getName())) {
          volumes.add(v);
        }
      }
    }
    pod.getSpec().setVolumes(volumes);
  }

  private static String subdomain(StatefulSet set) {
    return emptyToNull(set.getSpec().getServiceName());
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }
}
