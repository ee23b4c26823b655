package io.capstan.logschema.autoscaling;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.logschema.json.ConversionException;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Conversions;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A HorizontalPodAutoscaler between {@code autoscaling/v2} (as stored) and {@code autoscaling/v1}
 * JSON, as kube-apiserver converts it: v1 has only {@code targetCPUUtilizationPercentage} (the
 * first Resource cpu metric with an average utilization) and {@code currentCPUUtilizationPercentage};
 * everything else v2 has travels in the round-trip annotations, in v1's older metric shapes
 * ({@code targetAverageUtilization}, {@code metricName}, …): the other metrics, all current
 * metrics, the behavior and the conditions. Read back, a v1 object without any metric gets kube's
 * default of 80% CPU. Annotations of those names that a client sent are replaced, never kept.
 */
public final class AutoscalingV1 {
  public static final String METRIC_SPECS = "autoscaling.alpha.kubernetes.io/metrics";
  public static final String METRIC_STATUSES = "autoscaling.alpha.kubernetes.io/current-metrics";
  public static final String BEHAVIOR = "autoscaling.alpha.kubernetes.io/behavior";
  public static final String CONDITIONS = "autoscaling.alpha.kubernetes.io/conditions";
  private static final List<String> ROUND_TRIP = List.of(METRIC_SPECS, METRIC_STATUSES, BEHAVIOR, CONDITIONS);
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final int DEFAULT_CPU_UTILIZATION = 80;

  /** The fields of the v1 object outside its metadata, by the path of the object that holds them. */
  private static final Map<String, List<String>> FIELDS = Map.of(
      "", List.of("apiVersion", "kind", "metadata", "spec", "status"),
      "spec", List.of("scaleTargetRef", "minReplicas", "maxReplicas", "targetCPUUtilizationPercentage"),
      "spec.scaleTargetRef", List.of("apiVersion", "kind", "name"),
      "status", List.of("observedGeneration", "lastScaleTime", "currentReplicas", "desiredReplicas",
          "currentCPUUtilizationPercentage"));
  private static final List<String> INTEGERS = List.of("spec.minReplicas", "spec.maxReplicas",
      "spec.targetCPUUtilizationPercentage", "status.observedGeneration", "status.currentReplicas",
      "status.desiredReplicas", "status.currentCPUUtilizationPercentage");
  private static final List<String> STRINGS = List.of("spec.scaleTargetRef.apiVersion", "spec.scaleTargetRef.kind",
      "spec.scaleTargetRef.name", "status.lastScaleTime");
  /** Where the v2 object keeps v1's one target, when v1 set it: the first metric. */
  private static final String V2_CPU_TARGET = "spec.metrics[0].resource.target.averageUtilization";
  private static final String OPENAPI_SCHEMA = "horizontalpodautoscaler-v1.openapi.json";

  /** autoscaling/v1 as a served version of the stored v2 kind. */
  public static final Conversions.Conversion CONVERSION = new Conversions.Conversion() {
    @Override
    public ObjectNode toStorage(JsonNode served) {
      checkTypes(served);
      try {
        return toV2(served);
      } catch (IllegalArgumentException e) {
        throw new ConversionException("", e.getMessage(), e); // the message names the annotation
      }
    }

    @Override
    public ObjectNode toServed(JsonNode stored) {
      return toV1(stored);
    }

    @Override
    public List<String> unknownFields(JsonNode served) {
      List<String> unknown = new ArrayList<>();
      FIELDS.forEach((path, known) -> {
        JsonNode object = path.isEmpty() ? served : at(served, path);
        if (object.isObject()) {
          object.fieldNames().forEachRemaining(f -> {
            if (!known.contains(f)) {
              unknown.add(path.isEmpty() ? f : path + "." + f);
            }
          });
        }
      });
      unknown.sort(null);
      return unknown;
    }

    @Override
    public String servedPath(String storagePath) {
      return storagePath.equals(V2_CPU_TARGET) ? "spec.targetCPUUtilizationPercentage" : storagePath;
    }

    @Override
    public ObjectNode openApiSchema() {
      return OPENAPI.deepCopy();
    }
  };

  private static final ObjectNode OPENAPI = readOpenApiSchema();

  private AutoscalingV1() {}

  private static ObjectNode readOpenApiSchema() {
    try (InputStream in = AutoscalingV1.class.getResourceAsStream(OPENAPI_SCHEMA)) {
      if (in == null) {
        throw new IllegalStateException(OPENAPI_SCHEMA + " is missing from the classpath");
      }
      return (ObjectNode) KubeJson.jsonMapper().readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + OPENAPI_SCHEMA, e);
    }
  }

  private static JsonNode at(JsonNode object, String path) {
    JsonNode node = object;
    for (String part : path.split("\\.")) {
      node = node.path(part);
    }
    return node;
  }

  /**
   * v1's objects and scalars have the types v1 gives them: the conversion reads only what it
   * knows, so a wrong type would otherwise pass for a missing field (a string target as the
   * default 80%).
   */
  private static void checkTypes(JsonNode v1) {
    for (String path : FIELDS.keySet()) {
      JsonNode node = path.isEmpty() ? v1 : at(v1, path);
      if (!node.isMissingNode() && !node.isNull() && !node.isObject()) {
        throw new ConversionException(path, "expected object, got " + describe(node));
      }
    }
    for (String path : INTEGERS) {
      JsonNode node = at(v1, path);
      if (!node.isMissingNode() && !node.isNull() && !(node.isIntegralNumber() && node.canConvertToInt()
          || path.endsWith("observedGeneration") && node.isIntegralNumber() && node.canConvertToLong())) {
        throw new ConversionException(path, "expected integer, got " + describe(node));
      }
    }
    for (String path : STRINGS) {
      JsonNode node = at(v1, path);
      if (!node.isMissingNode() && !node.isNull() && !node.isTextual()) {
        throw new ConversionException(path, "expected string, got " + describe(node));
      }
    }
  }

  private static String describe(JsonNode node) {
    String text = node.toString();
    return node.getNodeType().toString().toLowerCase(java.util.Locale.ROOT) + " "
        + (text.length() > 60 ? text.substring(0, 57) + "..." : text);
  }

  /** The v1 form of a v2 object. */
  public static ObjectNode toV1(JsonNode v2) {
    ObjectNode out = NODES.objectNode();
    out.put("kind", "HorizontalPodAutoscaler");
    out.put("apiVersion", "autoscaling/v1");
    ObjectNode meta = v2.path("metadata").isObject() ? ((ObjectNode) v2.get("metadata")).deepCopy()
        : NODES.objectNode();
    ObjectNode annotations = dropRoundTrip(meta);
    out.set("metadata", meta);

    JsonNode spec = v2.path("spec");
    ObjectNode v1Spec = out.putObject("spec");
    copy(spec, v1Spec, "scaleTargetRef", "minReplicas", "maxReplicas");
    ArrayNode others = NODES.arrayNode();
    boolean cpuTaken = false;
    for (JsonNode m : spec.path("metrics")) {
      JsonNode utilization = m.path("resource").path("target").path("averageUtilization");
      if (!cpuTaken && "Resource".equals(m.path("type").asText()) && "cpu".equals(m.path("resource").path("name").asText())
          && utilization.isNumber()) {
        v1Spec.put("targetCPUUtilizationPercentage", utilization.asInt());
        cpuTaken = true;
        continue;
      }
      if ("Resource".equals(m.path("type").asText()) && "cpu".equals(m.path("resource").path("name").asText())
          && utilization.isNumber()) {
        continue; // kube keeps only the first cpu utilization target
      }
      others.add(metricSpecToV1(m));
    }
    if (!others.isEmpty()) {
      annotations.put(METRIC_SPECS, json(others));
    }
    if (spec.path("behavior").isObject()) {
      annotations.put(BEHAVIOR, json(spec.get("behavior")));
    }

    JsonNode status = v2.path("status");
    if (status.isObject()) {
      ObjectNode v1Status = out.putObject("status");
      copy(status, v1Status, "observedGeneration", "lastScaleTime", "currentReplicas", "desiredReplicas");
      if (!v1Status.has("desiredReplicas")) {
        v1Status.put("desiredReplicas", 0);
      }
      ArrayNode current = NODES.arrayNode();
      for (JsonNode m : status.path("currentMetrics")) {
        JsonNode utilization = m.path("resource").path("current").path("averageUtilization");
        if ("Resource".equals(m.path("type").asText()) && "cpu".equals(m.path("resource").path("name").asText())
            && utilization.isNumber()) {
          v1Status.put("currentCPUUtilizationPercentage", utilization.asInt());
        }
        current.add(metricStatusToV1(m));
      }
      if (!current.isEmpty()) {
        annotations.put(METRIC_STATUSES, json(current));
      }
      if (status.path("conditions").isArray() && !status.get("conditions").isEmpty()) {
        annotations.put(CONDITIONS, json(status.get("conditions")));
      }
    }
    if (annotations.isEmpty()) {
      meta.remove("annotations");
    } else {
      meta.set("annotations", annotations);
    }
    return out;
  }

  /**
   * The v2 form of a v1 object.
   *
   * @throws IllegalArgumentException naming the round-trip annotation that is not the JSON it must be
   */
  public static ObjectNode toV2(JsonNode v1) {
    ObjectNode out = NODES.objectNode();
    out.put("kind", "HorizontalPodAutoscaler");
    out.put("apiVersion", "autoscaling/v2");
    ObjectNode meta = v1.path("metadata").isObject() ? ((ObjectNode) v1.get("metadata")).deepCopy()
        : NODES.objectNode();
    JsonNode given = meta.path("annotations").deepCopy();
    ObjectNode annotations = dropRoundTrip(meta);
    if (annotations.isEmpty()) {
      meta.remove("annotations");
    } else {
      meta.set("annotations", annotations);
    }
    out.set("metadata", meta);

    JsonNode spec = v1.path("spec");
    if (spec.isObject()) {
      ObjectNode v2Spec = out.putObject("spec");
      copy(spec, v2Spec, "scaleTargetRef", "minReplicas", "maxReplicas");
      ArrayNode metrics = NODES.arrayNode();
      if (spec.path("targetCPUUtilizationPercentage").isNumber()) {
        metrics.add(cpuUtilization(spec.get("targetCPUUtilizationPercentage").asInt()));
      }
      for (JsonNode m : annotation(given, METRIC_SPECS)) {
        metrics.add(metricSpecToV2(m));
      }
      if (metrics.isEmpty()) {
        metrics.add(cpuUtilization(DEFAULT_CPU_UTILIZATION));
      }
      v2Spec.set("metrics", metrics);
      JsonNode behavior = annotation(given, BEHAVIOR);
      if (behavior.isObject()) {
        v2Spec.set("behavior", behavior);
      }
    }

    JsonNode status = v1.path("status");
    if (status.isObject()) {
      ObjectNode v2Status = out.putObject("status");
      copy(status, v2Status, "observedGeneration", "lastScaleTime", "currentReplicas", "desiredReplicas");
      JsonNode current = annotation(given, METRIC_STATUSES);
      if (current.isArray()) {
        ArrayNode metrics = v2Status.putArray("currentMetrics");
        for (JsonNode m : current) {
          metrics.add(metricStatusToV2(m));
        }
      } else if (status.path("currentCPUUtilizationPercentage").isNumber()) {
        ObjectNode m = v2Status.putArray("currentMetrics").addObject();
        m.put("type", "Resource");
        ObjectNode r = m.putObject("resource");
        r.put("name", "cpu");
        r.putObject("current").put("averageUtilization", status.get("currentCPUUtilizationPercentage").asInt());
      }
      JsonNode conditions = annotation(given, CONDITIONS);
      if (conditions.isArray()) {
        v2Status.set("conditions", conditions);
      }
    }
    return out;
  }

  private static ObjectNode cpuUtilization(int percent) {
    ObjectNode m = NODES.objectNode();
    m.put("type", "Resource");
    ObjectNode r = m.putObject("resource");
    r.put("name", "cpu");
    ObjectNode t = r.putObject("target");
    t.put("type", "Utilization");
    t.put("averageUtilization", percent);
    return m;
  }

  /** The object's annotations without the round-trip ones (a fresh object node; the metadata's is not changed). */
  private static ObjectNode dropRoundTrip(ObjectNode meta) {
    ObjectNode annotations = meta.path("annotations").isObject() ? ((ObjectNode) meta.get("annotations")).deepCopy()
        : NODES.objectNode();
    annotations.remove(ROUND_TRIP);
    return annotations;
  }

  private static JsonNode annotation(JsonNode annotations, String key) {
    JsonNode text = annotations.path(key);
    if (!text.isTextual()) {
      return NODES.missingNode();
    }
    try {
      return KubeJson.jsonMapper().readTree(text.asText());
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("metadata.annotations[" + key + "]: not valid JSON: "
          + e.getOriginalMessage(), e);
    }
  }

  private static String json(JsonNode node) {
    try {
      return KubeJson.jsonMapper().writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void copy(JsonNode from, ObjectNode to, String... fields) {
    for (String f : fields) {
      if (from.has(f) && !from.get(f).isNull()) {
        to.set(f, from.get(f).deepCopy());
      }
    }
  }

  /** Sets {@code to.field} to {@code value} unless it is missing or null. */
  private static void put(ObjectNode to, String field, JsonNode value) {
    if (value != null && !value.isMissingNode() && !value.isNull()) {
      to.set(field, value.deepCopy());
    }
  }

  /** A v2 MetricSpec in v1's (v2beta1's) shape. */
  static ObjectNode metricSpecToV1(JsonNode m) {
    return metricToV1(m, "target");
  }

  /** A v2 MetricStatus in v1's shape. */
  static ObjectNode metricStatusToV1(JsonNode m) {
    return metricToV1(m, "current");
  }

  /**
   * A v2 metric in v1's (v2beta1's) shape: a spec's {@code target} or a status's {@code current}
   * ({@code side}) becomes flat fields named after it ({@code targetAverageValue},
   * {@code currentValue}, …); the metric's name and selector move up beside them.
   */
  private static ObjectNode metricToV1(JsonNode m, String side) {
    ObjectNode out = NODES.objectNode();
    String type = m.path("type").asText();
    out.put("type", type);
    switch (type) {
      case "Resource", "ContainerResource" -> {
        String field = type.equals("Resource") ? "resource" : "containerResource";
        JsonNode src = m.path(field);
        ObjectNode r = out.putObject(field);
        put(r, "name", src.path("name"));
        put(r, side + "AverageUtilization", src.path(side).path("averageUtilization"));
        put(r, side + "AverageValue", src.path(side).path("averageValue"));
        put(r, "container", src.path("container"));
      }
      case "Pods" -> {
        JsonNode src = m.path("pods");
        ObjectNode p = out.putObject("pods");
        put(p, "metricName", src.path("metric").path("name"));
        put(p, side + "AverageValue", src.path(side).path("averageValue"));
        put(p, "selector", src.path("metric").path("selector"));
      }
      case "Object" -> {
        JsonNode src = m.path("object");
        ObjectNode o = out.putObject("object");
        put(o, "target", src.path("describedObject"));
        put(o, "metricName", src.path("metric").path("name"));
        put(o, side + "Value", src.path(side).path("value"));
        put(o, "selector", src.path("metric").path("selector"));
        put(o, "averageValue", src.path(side).path("averageValue"));
      }
      case "External" -> {
        JsonNode src = m.path("external");
        ObjectNode e = out.putObject("external");
        put(e, "metricName", src.path("metric").path("name"));
        put(e, "metricSelector", src.path("metric").path("selector"));
        put(e, side + "Value", src.path(side).path("value"));
        put(e, side + "AverageValue", src.path(side).path("averageValue"));
      }
      default -> {
        // an unknown type has no source to carry
      }
    }
    return out;
  }

  /** A v1 (v2beta1-shaped) MetricSpec in v2's shape. */
  static ObjectNode metricSpecToV2(JsonNode m) {
    ObjectNode out = NODES.objectNode();
    String type = m.path("type").asText();
    out.put("type", type);
    switch (type) {
      case "Resource", "ContainerResource" -> {
        String field = type.equals("Resource") ? "resource" : "containerResource";
        JsonNode src = m.path(field);
        ObjectNode r = out.putObject(field);
        put(r, "name", src.path("name"));
        ObjectNode t = r.putObject("target");
        if (src.path("targetAverageUtilization").isNumber()) {
          t.put("type", "Utilization");
          put(t, "averageUtilization", src.path("targetAverageUtilization"));
        } else {
          t.put("type", "AverageValue");
          put(t, "averageValue", src.path("targetAverageValue"));
        }
        put(r, "container", src.path("container"));
      }
      case "Pods" -> {
        JsonNode src = m.path("pods");
        ObjectNode p = out.putObject("pods");
        metric(p, src.path("metricName"), src.path("selector"));
        ObjectNode t = p.putObject("target");
        t.put("type", "AverageValue");
        put(t, "averageValue", src.path("targetAverageValue"));
      }
      case "Object" -> {
        JsonNode src = m.path("object");
        ObjectNode o = out.putObject("object");
        put(o, "describedObject", src.path("target"));
        ObjectNode t = o.putObject("target");
        boolean average = src.hasNonNull("averageValue");
        t.put("type", average ? "AverageValue" : "Value");
        put(t, "value", src.path("targetValue"));
        put(t, "averageValue", src.path("averageValue"));
        metric(o, src.path("metricName"), src.path("selector"));
      }
      case "External" -> {
        JsonNode src = m.path("external");
        ObjectNode e = out.putObject("external");
        metric(e, src.path("metricName"), src.path("metricSelector"));
        ObjectNode t = e.putObject("target");
        t.put("type", src.hasNonNull("targetValue") ? "Value" : "AverageValue");
        put(t, "value", src.path("targetValue"));
        put(t, "averageValue", src.path("targetAverageValue"));
      }
      default -> {
        // an unknown type has no source to carry
      }
    }
    return out;
  }

  /** A v1 (v2beta1-shaped) MetricStatus in v2's shape. */
  static ObjectNode metricStatusToV2(JsonNode m) {
    ObjectNode out = NODES.objectNode();
    String type = m.path("type").asText();
    out.put("type", type);
    switch (type) {
      case "Resource", "ContainerResource" -> {
        String field = type.equals("Resource") ? "resource" : "containerResource";
        JsonNode src = m.path(field);
        ObjectNode r = out.putObject(field);
        put(r, "name", src.path("name"));
        ObjectNode c = r.putObject("current");
        put(c, "averageValue", src.path("currentAverageValue"));
        put(c, "averageUtilization", src.path("currentAverageUtilization"));
        put(r, "container", src.path("container"));
      }
      case "Pods" -> {
        JsonNode src = m.path("pods");
        ObjectNode p = out.putObject("pods");
        metric(p, src.path("metricName"), src.path("selector"));
        put(p.putObject("current"), "averageValue", src.path("currentAverageValue"));
      }
      case "Object" -> {
        JsonNode src = m.path("object");
        ObjectNode o = out.putObject("object");
        metric(o, src.path("metricName"), src.path("selector"));
        ObjectNode c = o.putObject("current");
        put(c, "value", src.path("currentValue"));
        put(c, "averageValue", src.path("averageValue"));
        put(o, "describedObject", src.path("target"));
      }
      case "External" -> {
        JsonNode src = m.path("external");
        ObjectNode e = out.putObject("external");
        metric(e, src.path("metricName"), src.path("metricSelector"));
        ObjectNode c = e.putObject("current");
        put(c, "value", src.path("currentValue"));
        put(c, "averageValue", src.path("currentAverageValue"));
      }
      default -> {
        // an unknown type has no source to carry
      }
    }
    return out;
  }

  private static void metric(ObjectNode into, JsonNode name, JsonNode selector) {
    ObjectNode metric = into.putObject("metric");
    put(metric, "name", name);
    put(metric, "selector", selector);
  }
}
