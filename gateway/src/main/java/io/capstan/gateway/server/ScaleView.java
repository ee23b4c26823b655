package io.capstan.gateway.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.gateway.errors.ApiException;
import io.capstan.gateway.errors.ApiStatus;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.validation.FieldError;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The {@code autoscaling/v1} Scale of a Deployment, ReplicaSet or StatefulSet, as kube-apiserver's scale
 * subresource serves it: metadata of the workload (name, namespace, uid, resourceVersion,
 * creationTimestamp), {@code spec.replicas} and {@code status.replicas} with
 * {@code status.selector} in label-selector string form (what {@code kubectl scale} and the
 * HorizontalPodAutoscaler read). Writing a Scale changes only the workload's
 * {@code spec.replicas}, guarded by the Scale's resourceVersion when it carries one.
 */
final class ScaleView {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private ScaleView() {}

  static boolean serves(Kind kind) {
    return kind == Kinds.DEPLOYMENT || kind == Kinds.REPLICA_SET || kind == Kinds.STATEFUL_SET
        || (kind.custom() && kind.subresources().scale() != null);
  }

  /**
   * The Scale of an object of the kind: a custom kind's from the paths of its definition's scale
   * subresource, as apiextensions-apiserver's scale storage reads them (a missing replicas count
   * is 0; the selector is the string at labelSelectorPath, when there is one).
   */
  static ObjectNode of(Kind kind, ObjectNode object) {
    Kind.Scale paths = kind.custom() ? kind.subresources().scale() : null;
    if (paths == null) {
      return of(object);
    }
    ObjectNode scale = of(object);
    scale.putObject("spec").put("replicas", at(object, paths.specReplicasPath()).asInt(0));
    ObjectNode status = scale.putObject("status");
    status.put("replicas", at(object, paths.statusReplicasPath()).asInt(0));
    if (paths.labelSelectorPath() != null) {
      JsonNode selector = at(object, paths.labelSelectorPath());
      if (selector.isTextual()) {
        status.put("selector", selector.asText());
      }
    }
    return scale;
  }

  /** The field at a simple JSON path ({@code .spec.replicas}); a missing node when absent. */
  static JsonNode at(JsonNode object, String path) {
    JsonNode n = object;
    for (String field : fields(path)) {
      n = n.path(field);
    }
    return n;
  }

  /** Sets the replicas where the kind keeps them: {@code spec.replicas}, or a custom kind's specReplicasPath. */
  static void setReplicas(Kind kind, ObjectNode object, int replicas) {
    List<String> path = kind.custom() && kind.subresources().scale() != null
        ? fields(kind.subresources().scale().specReplicasPath()) : List.of("spec", "replicas");
    ObjectNode n = object;
    for (String field : path.subList(0, path.size() - 1)) {
      n = n.withObjectProperty(field);
    }
    n.put(path.get(path.size() - 1), replicas);
  }

  private static List<String> fields(String path) {
    String p = path.startsWith(".") ? path.substring(1) : path;
    return List.of(p.split("\\."));
  }

  /** The Scale of a workload's JSON. */
  static ObjectNode of(ObjectNode workload) {
    ObjectNode scale = NODES.objectNode();
    scale.put("kind", "Scale");
    scale.put("apiVersion", "autoscaling/v1");
    ObjectNode meta = scale.putObject("metadata");
    for (String f : List.of("name", "namespace", "uid", "resourceVersion", "creationTimestamp")) {
      JsonNode v = workload.path("metadata").get(f);
      if (v != null && !v.isNull()) {
        meta.set(f, v);
      }
    }
    // Kubernetes defaults spec.replicas to 1 for these kinds.
    scale.putObject("spec").put("replicas", workload.path("spec").path("replicas").asInt(1));
    ObjectNode status = scale.putObject("status");
    status.put("replicas", workload.path("status").path("replicas").asInt(0));
    String selector = selectorString(workload.path("spec").path("selector"));
    if (!selector.isEmpty()) {
      status.put("selector", selector);
    }
    return scale;
  }

  /**
   * The desired replicas of a Scale a client sent, checked as the scale REST storage does:
   * kind Scale (when named), the URL's name, {@code spec.replicas} a non-negative integer.
   */
  static int replicas(JsonNode scale, Kind kind, String name) {
    requireTypes(scale);
    String sentKind = scale.path("kind").asText("");
    if (!sentKind.isEmpty() && !sentKind.equals("Scale")) {
      throw new ApiException(ApiStatus.badRequest("the body of a " + kind.plural() + "/scale request must be an "
          + "autoscaling/v1 Scale, not a " + sentKind));
    }
    String sentName = scale.path("metadata").path("name").asText("");
    if (!sentName.isEmpty() && !sentName.equals(name)) {
      throw new ApiException(ApiStatus.badRequest("the name of the object (" + sentName
          + ") does not match the name on the URL (" + name + ")"));
    }
    JsonNode replicas = scale.path("spec").path("replicas");
    if (replicas.isMissingNode() || replicas.isNull()) {
      return 0; // an omitted int32 is zero in Go, as kube-apiserver decodes it
    }
    if (!replicas.isIntegralNumber() || !replicas.canConvertToInt()) {
      throw new ApiException(ApiStatus.invalid("autoscaling", "Scale", name, List.of(FieldError.invalid(
          "spec.replicas", replicas.toString(), "must be an integer"))));
    }
    if (replicas.intValue() < 0) {
      throw new ApiException(ApiStatus.invalid("autoscaling", "Scale", name, List.of(FieldError.invalid(
          "spec.replicas", replicas.toString(), "must be greater than or equal to 0"))));
    }
    return replicas.intValue();
  }

  /** The resourceVersion a Scale pins, or null. */
  /**
   * The Scale's identifying fields are strings (and metadata an object), as kube-apiserver
   * decodes them: {@code "resourceVersion":{"a":1}} is a 400, not a Scale without a version,
   * which would make a conditional update unconditional.
   */
  private static void requireTypes(JsonNode scale) {
    JsonNode meta = scale.path("metadata");
    if (!meta.isMissingNode() && !meta.isNull() && !meta.isObject()) {
      throw new ApiException(ApiStatus.badRequest("Scale.metadata: must be an object, got " + meta));
    }
    for (String[] at : new String[][] {{"kind"}, {"apiVersion"}, {"metadata", "name"}, {"metadata", "namespace"},
        {"metadata", "resourceVersion"}, {"metadata", "uid"}}) {
      JsonNode v = at.length == 1 ? scale.path(at[0]) : meta.path(at[1]);
      if (!v.isMissingNode() && !v.isNull() && !v.isTextual()) {
        throw new ApiException(ApiStatus.badRequest("Scale." + String.join(".", at) + ": must be a string, got "
            + v.getNodeType().toString().toLowerCase(java.util.Locale.ROOT)));
      }
    }
  }

  static String resourceVersion(JsonNode scale) {
    String rv = scale.path("metadata").path("resourceVersion").asText("");
    return rv.isEmpty() ? null : rv;
  }

  /** metav1.FormatLabelSelector: {@code a=b,c in (d,e),!f}. */
  static String selectorString(JsonNode selector) {
    List<String> parts = new ArrayList<>();
    Iterator<Map.Entry<String, JsonNode>> labels = selector.path("matchLabels").fields();
    while (labels.hasNext()) {
      Map.Entry<String, JsonNode> e = labels.next();
      parts.add(e.getKey() + "=" + e.getValue().asText());
    }
    for (JsonNode r : selector.path("matchExpressions")) {
      String key = r.path("key").asText();
      List<String> values = new ArrayList<>();
      r.path("values").forEach(v -> values.add(v.asText()));
      switch (r.path("operator").asText()) {
        case "In" -> parts.add(key + " in (" + String.join(",", values) + ")");
        case "NotIn" -> parts.add(key + " notin (" + String.join(",", values) + ")");
        case "Exists" -> parts.add(key);
        case "DoesNotExist" -> parts.add("!" + key);
        default -> { }
      }
    }
    return String.join(",", parts);
  }
}
