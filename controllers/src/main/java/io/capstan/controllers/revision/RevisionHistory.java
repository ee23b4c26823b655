package io.capstan.controllers.revision;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.api.ControllerRevision;
import io.capstan.api.ObjectMeta;
import io.capstan.api.PodTemplateSpec;
import io.capstan.controllers.deployment.TemplateHash;
import io.capstan.controllers.runtime.OwnerRefs;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kind;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * A DaemonSet's or StatefulSet's revision history as ControllerRevisions, as kube's daemon and
 * stateful set controllers keep it: each distinct template is one revision named
 * {@code <set>-<hash>}, labelled with the template's labels and {@code controller-revision-hash},
 * holding a strategic merge patch that puts the template back
 * ({@code {"spec":{"template":{"$patch":"replace",…}}}}, what {@code kubectl rollout undo} sends).
 * Pure functions; {@link ControllerHistory} does the writes.
 */
public final class RevisionHistory {
  /** The label that names the ControllerRevision a pod was made from. */
  public static final String HASH_LABEL = "controller-revision-hash";

  private RevisionHistory() {}

  /** The hash of a template and the owner's collision count: the revision's name suffix and its pods' label. */
  public static String hash(PodTemplateSpec template, Integer collisionCount) {
    return TemplateHash.of(template, collisionCount);
  }

  /** getPatch: the template as a replacing patch, keys sorted so equal templates give equal bytes. */
  public static String data(PodTemplateSpec podTemplate) {
    ObjectNode template = (ObjectNode) KubeJson.valueToJson(PodTemplateSpec.getClassSchema(), podTemplate);
    template.put("$patch", "replace");
    ObjectNode spec = JsonNodeFactory.instance.objectNode();
    spec.set("template", template);
    ObjectNode patch = JsonNodeFactory.instance.objectNode();
    patch.set("spec", spec);
    return sorted(patch).toString();
  }

  private static JsonNode sorted(JsonNode node) {
    if (node.isObject()) {
      TreeMap<String, JsonNode> fields = new TreeMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        fields.put(e.getKey(), sorted(e.getValue()));
      }
      ObjectNode out = JsonNodeFactory.instance.objectNode();
      fields.forEach(out::set);
      return out;
    }
    if (node.isArray()) {
      var out = JsonNodeFactory.instance.arrayNode();
      node.forEach(n -> out.add(sorted(n)));
      return out;
    }
    return node;
  }

  /** The template a revision restores, if its data holds one. */
  public static Optional<PodTemplateSpec> template(ControllerRevision revision) {
    if (revision.getData() == null) {
      return Optional.empty();
    }
    try {
      JsonNode t = KubeJson.parse(revision.getData()).path("spec").path("template");
      if (!t.isObject()) {
        return Optional.empty();
      }
      ObjectNode copy = ((ObjectNode) t).deepCopy();
      copy.remove("$patch");
      return Optional.of((PodTemplateSpec) KubeJson.valueFromJson(PodTemplateSpec.getClassSchema(), copy,
          "data.spec.template").object());
    } catch (RuntimeException e) {
      return Optional.empty(); // not a template revision we can read: it matches nothing
    }
  }

  /** Whether the revision holds this template (Match), judged semantically rather than byte for byte. */
  public static boolean matches(PodTemplateSpec current, ControllerRevision revision) {
    return template(revision).map(t -> TemplateHash.equalIgnoringHash(t, current)).orElse(false);
  }

  /** A new revision of the owner's current template (newRevision), controlled by the owner. */
  public static ControllerRevision newRevision(Kind kind, ObjectMeta owner, PodTemplateSpec template, String hash,
      long revision) {
    Map<String, String> labels = new HashMap<>();
    if (template.getMetadata() != null && template.getMetadata().getLabels() != null) {
      labels.putAll(template.getMetadata().getLabels());
    }
    labels.put(HASH_LABEL, hash);
    return ControllerRevision.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace(owner.getNamespace()).setName(owner.getName() + "-" + hash)
            .setLabels(labels)
            // the set's annotations (kubernetes.io/change-cause shows in kubectl rollout history)
            .setAnnotations(owner.getAnnotations() == null || owner.getAnnotations().isEmpty() ? null
                : new HashMap<>(owner.getAnnotations()))
            .setOwnerReferences(List.of(OwnerRefs.controllerRef(kind, owner))).build())
        .setData(data(template))
        .setRevision(revision)
        .build();
  }

  /** The hash a revision's pods carry. */
  public static String hashOf(ControllerRevision revision) {
    Map<String, String> labels = revision.getMetadata().getLabels();
    String h = labels == null ? null : labels.get(HASH_LABEL);
    return h == null ? "" : h;
  }

  public static long maxRevision(List<ControllerRevision> revisions) {
    long max = 0;
    for (ControllerRevision r : revisions) {
      max = Math.max(max, r.getRevision());
    }
    return max;
  }

  /**
   * cleanupHistory: beyond {@code limit} old revisions, the oldest go first, except those whose
   * hash a live pod still carries (its pods could not be told apart from a rollback's).
   */
  public static List<ControllerRevision> toDelete(List<ControllerRevision> old, int limit, Set<String> liveHashes) {
    int toKill = old.size() - Math.max(0, limit);
    List<ControllerRevision> out = new ArrayList<>();
    if (toKill <= 0) {
      return out;
    }
    List<ControllerRevision> sorted = new ArrayList<>(old);
    sorted.sort(Comparator.comparingLong(ControllerRevision::getRevision));
    for (ControllerRevision r : sorted) {
      if (toKill <= 0) {
        break;
      }
      if (liveHashes.contains(hashOf(r))) {
        continue;
      }
      out.add(r);
      toKill--;
    }
    return out;
  }
}
