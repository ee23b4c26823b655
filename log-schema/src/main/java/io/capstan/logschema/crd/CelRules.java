package io.capstan.logschema.crd;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import io.capstan.logschema.json.FieldPath;
import io.capstan.logschema.validation.FieldError;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code x-kubernetes-validations}: the CEL rules of a custom resource schema, compiled and
 * evaluated with {@code dev.cel} as kube-apiserver does with cel-go. A rule sees the value of its
 * node as {@code self} and, on an update, the stored value as {@code oldSelf}; a rule that
 * mentions {@code oldSelf} (a transition rule) is evaluated only when there is an old value.
 * A rule that fails gives a 422 cause at its node (or at its {@code fieldPath}), with its
 * {@code message}, its evaluated {@code messageExpression}, or {@code failed rule: <rule>}, and its
 * {@code reason} (FieldValueInvalid unless it names FieldValueForbidden, FieldValueRequired or
 * FieldValueDuplicate).
 */
public final class CelRules {
  private static final CelCompiler COMPILER = CelCompilerFactory.standardCelCompilerBuilder()
      .setStandardMacros(dev.cel.parser.CelStandardMacro.STANDARD_MACROS) // has(), all(), exists(), map(), filter()
      .addVar("self", SimpleType.DYN).addVar("oldSelf", SimpleType.DYN).build();
  /**
   * A bound on the work one rule may do per call (Kubernetes bounds it by a per-call cost limit;
   * dev.cel 0.14 has no cost estimator, so comprehension iterations are what is bounded here).
   */
  static final int MAX_ITERATIONS = 100_000;
  private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder()
      .setOptions(dev.cel.common.CelOptions.current().comprehensionMaxIterations(MAX_ITERATIONS).build()).build();
  private static final Map<String, CelRuntime.Program> PROGRAMS = new ConcurrentHashMap<>();
  private static final List<String> REASONS = List.of("FieldValueInvalid", "FieldValueForbidden",
      "FieldValueRequired", "FieldValueDuplicate");

  private CelRules() {}

  // ---- at the definition ----

  /** Every rule of a schema that does not compile, named by its path (422 on the definition). */
  static void checkCompiles(JsonNode schema, String path, List<FieldError> errors) {
    if (schema == null || !schema.isObject()) {
      return;
    }
    JsonNode rules = schema.get("x-kubernetes-validations");
    if (rules != null && rules.isArray()) {
      for (int i = 0; i < rules.size(); i++) {
        JsonNode r = rules.get(i);
        String at = path + ".x-kubernetes-validations[" + i + "]";
        String rule = r.path("rule").asText("");
        if (rule.isEmpty()) {
          errors.add(FieldError.required(at + ".rule"));
        } else {
          compileError(rule).ifPresent(m -> errors.add(FieldError.invalid(at + ".rule", rule, "compilation failed: " + m)));
        }
        if (r.hasNonNull("messageExpression")) {
          String expr = r.get("messageExpression").asText();
          compileError(expr).ifPresent(m -> errors.add(FieldError.invalid(at + ".messageExpression", expr,
              "messageExpression compilation failed: " + m)));
        }
        if (r.hasNonNull("reason") && !REASONS.contains(r.get("reason").asText())) {
          errors.add(FieldError.notSupported(at + ".reason", r.get("reason").asText(), REASONS));
        }
      }
    }
    JsonNode properties = schema.get("properties");
    if (properties != null && properties.isObject()) {
      properties.fields().forEachRemaining(p ->
          checkCompiles(p.getValue(), path + ".properties[" + p.getKey() + "]", errors));
    }
    JsonNode additional = schema.get("additionalProperties");
    if (additional != null && additional.isObject()) {
      checkCompiles(additional, path + ".additionalProperties", errors);
    }
    JsonNode items = schema.get("items");
    if (items != null && items.isObject()) {
      checkCompiles(items, path + ".items", errors);
    }
  }

  private static java.util.Optional<String> compileError(String expression) {
    try {
      program(expression);
      return java.util.Optional.empty();
    } catch (IllegalArgumentException e) {
      return java.util.Optional.of(e.getMessage());
    }
  }

  private static CelRuntime.Program program(String expression) {
    CelRuntime.Program p = PROGRAMS.get(expression);
    if (p != null) {
      return p;
    }
    try {
      CelAbstractSyntaxTree ast = COMPILER.compile(expression).getAst();
      p = RUNTIME.createProgram(ast);
    } catch (dev.cel.common.CelException e) {
      throw new IllegalArgumentException(e.getMessage().replace('\n', ' ').replaceAll(" +", " ").trim(), e);
    }
    PROGRAMS.put(expression, p);
    return p;
  }

  // ---- on objects ----

  /** Every rule the object breaks ({@code old} is the stored object on an update, else null). */
  public static List<FieldError> evaluate(JsonNode schema, JsonNode object, JsonNode old) {
    List<FieldError> errors = new ArrayList<>();
    if (schema == null || !object.isObject()) {
      return errors;
    }
    JsonNode properties = schema.path("properties");
    for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> m = it.next();
      if (m.getKey().equals("metadata") || m.getKey().equals("apiVersion") || m.getKey().equals("kind")) {
        continue;
      }
      JsonNode s = properties.get(m.getKey());
      if (s != null) {
        walk(s, m.getValue(), old == null ? null : old.get(m.getKey()), m.getKey(), errors);
      }
    }
    return errors;
  }

  private static void walk(JsonNode s, JsonNode v, JsonNode old, String path, List<FieldError> errors) {
    if (v == null || v.isNull()) {
      return;
    }
    JsonNode rules = s.get("x-kubernetes-validations");
    if (rules != null && rules.isArray()) {
      for (JsonNode r : rules) {
        check(r, v, old, path, errors);
      }
    }
    if (v.isObject()) {
      JsonNode properties = s.get("properties");
      JsonNode additional = s.get("additionalProperties");
      for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> m = it.next();
        JsonNode ms = properties != null && properties.has(m.getKey()) ? properties.get(m.getKey())
            : additional != null && additional.isObject() ? additional : null;
        if (ms != null) {
          walk(ms, m.getValue(), old == null ? null : old.get(m.getKey()), FieldPath.field(path, m.getKey()), errors);
        }
      }
    } else if (v.isArray() && s.get("items") != null && s.get("items").isObject()) {
      JsonNode items = s.get("items");
      for (int i = 0; i < v.size(); i++) {
        // Old items are matched by position only for atomic lists; transition rules in items see no old value.
        walk(items, v.get(i), null, FieldPath.index(path, i), errors);
      }
    }
  }

  private static void check(JsonNode r, JsonNode v, JsonNode old, String path, List<FieldError> errors) {
    String rule = r.path("rule").asText("");
    boolean transition = rule.contains("oldSelf");
    if (rule.isEmpty() || (transition && (old == null || old.isNull()))) {
      return;
    }
    Map<String, Object> vars = new HashMap<>();
    vars.put("self", value(v));
    if (transition) {
      vars.put("oldSelf", value(old));
    }
    String at = r.hasNonNull("fieldPath") ? path + r.get("fieldPath").asText() : path;
    String reason = r.path("reason").asText("FieldValueInvalid");
    Object result;
    try {
      result = program(rule).eval(vars);
    } catch (CelEvaluationException | IllegalArgumentException e) {
      errors.add(FieldError.invalid(at, shown(v), "rule evaluation failed: " + rule + ": " + e.getMessage()));
      return;
    }
    if (Boolean.TRUE.equals(result)) {
      return;
    }
    String message = r.hasNonNull("message") ? r.get("message").asText() : "failed rule: " + rule;
    if (r.hasNonNull("messageExpression")) {
      try {
        Object m = program(r.get("messageExpression").asText()).eval(vars);
        if (m instanceof String text && !text.isBlank()) {
          message = text;
        }
      } catch (CelEvaluationException | IllegalArgumentException e) {
        // as Kubernetes: a messageExpression that fails falls back to the message
      }
    }
    errors.add(switch (reason) {
      case "FieldValueForbidden" -> FieldError.forbidden(at, message);
      case "FieldValueRequired" -> FieldError.required(at, message);
      case "FieldValueDuplicate" -> new FieldError(at, "FieldValueDuplicate", "Duplicate value: " + shown(v) + ": "
          + message);
      default -> FieldError.invalid(at, shown(v), message);
    });
  }

  /** What Kubernetes shows as the invalid value of a CEL error: "object", "array" or the scalar. */
  private static String shown(JsonNode v) {
    return v.isObject() ? "object" : v.isArray() ? "array" : v.asText();
  }

  /** JSON as CEL values: maps, lists, int64, double, string, bool (null members left out). */
  static Object value(JsonNode v) {
    if (v == null || v.isNull()) {
      return dev.cel.common.values.NullValue.NULL_VALUE;
    }
    if (v.isObject()) {
      Map<String, Object> m = new LinkedHashMap<>();
      v.fields().forEachRemaining(e -> {
        if (!e.getValue().isNull()) {
          m.put(e.getKey(), value(e.getValue()));
        }
      });
      return m;
    }
    if (v.isArray()) {
      List<Object> l = new ArrayList<>();
      v.forEach(i -> l.add(value(i)));
      return l;
    }
    if (v.isIntegralNumber()) {
      return v.asLong();
    }
    if (v.isNumber()) {
      return v.asDouble();
    }
    if (v.isBoolean()) {
      return v.asBoolean();
    }
    return v.asText();
  }
}
