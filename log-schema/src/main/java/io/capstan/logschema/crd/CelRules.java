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
   * A backstop on comprehension iterations; the per-call cost limit ({@link CelCost#CALL_LIMIT},
   * each iteration costs at least one) is what stops a rule first.
   */
  static final int MAX_ITERATIONS = (int) CelCost.CALL_LIMIT;
  private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder()
      .setOptions(dev.cel.common.CelOptions.current().comprehensionMaxIterations(MAX_ITERATIONS).build()).build();
  private static final Map<String, Compiled> PROGRAMS = new ConcurrentHashMap<>();
  private static final List<String> REASONS = List.of("FieldValueInvalid", "FieldValueForbidden",
      "FieldValueRequired", "FieldValueDuplicate");

  private record Compiled(CelAbstractSyntaxTree ast, CelRuntime.Program program) {}

  private CelRules() {}

  // ---- at the definition ----

  /**
   * Every rule of a schema that does not compile, whose estimated cost exceeds its budget, or that
   * uses {@code oldSelf} where old values cannot be correlated, named by its path (422 on the
   * definition). {@code path} is the schema's own path ({@code spec.versions[0].schema.openAPIV3Schema}).
   */
  static void checkCompiles(JsonNode schema, String path, List<FieldError> errors) {
    Total total = new Total();
    checkNode(schema, path, 1, null, total, errors);
    if (total.sum > CelCost.SCHEMA_LIMIT) {
      for (Map.Entry<String, Long> e : total.mostExpensive()) {
        errors.add(FieldError.forbidden(e.getKey(),
            "contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema"));
      }
      errors.add(FieldError.forbidden(path, CelCost.exceeded(
          "x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema", total.sum,
          CelCost.SCHEMA_LIMIT)));
    }
  }

  /** The estimated costs of a schema's rules, and the most expensive of them (as Kubernetes: four, each >= 1%). */
  private static final class Total {
    long sum;
    final List<Map.Entry<String, Long>> expensive = new ArrayList<>();

    void observe(String path, long cost) {
      sum = CelCost.plus(sum, cost);
      if (cost >= CelCost.SCHEMA_LIMIT / 100) {
        expensive.add(Map.entry(path, cost));
      }
    }

    List<Map.Entry<String, Long>> mostExpensive() {
      return expensive.stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(4).toList();
    }
  }

  /**
   * {@code bound}: how often this node may occur (product of the bounds of the lists and maps above
   * it), -1 when unbounded; {@code uncorrelatable}: the path of the first list above it whose items
   * cannot be matched to their old values (not a map list), or null.
   */
  private static void checkNode(JsonNode schema, String path, long bound, String uncorrelatable, Total total,
      List<FieldError> errors) {
    if (schema == null || !schema.isObject()) {
      return;
    }
    JsonNode rules = schema.get("x-kubernetes-validations");
    if (rules != null && rules.isArray()) {
      for (int i = 0; i < rules.size(); i++) {
        JsonNode r = rules.get(i);
        String at = path + ".x-kubernetes-validations[" + i + "]";
        String rule = r.path("rule").asText("");
        ruleFields(r, schema, at, errors);
        if (rule.isBlank()) {
          errors.add(FieldError.required(at + ".rule", "rule is not specified"));
        } else {
          try {
            Compiled c = compiled(rule);
            long cost = CelCost.times(CelCost.estimate(c.ast().getExpr(), schema), CelCost.cardinality(bound, schema));
            if (cost > CelCost.RULE_LIMIT) {
              errors.add(FieldError.forbidden(at + ".rule", CelCost.exceeded("estimated rule cost", cost,
                  CelCost.RULE_LIMIT)));
            }
            total.observe(at + ".rule", cost);
            if (uncorrelatable != null && usesOldSelf(c.ast().getExpr())) {
              errors.add(FieldError.invalid(at + ".rule", rule,
                  "oldSelf cannot be used on the uncorrelatable portion of the schema within " + uncorrelatable));
            }
          } catch (IllegalArgumentException e) {
            errors.add(FieldError.invalid(at + ".rule", rule, "compilation failed: " + e.getMessage()));
          }
        }
        if (r.hasNonNull("messageExpression") && !r.get("messageExpression").asText().isBlank()) {
          String expr = r.get("messageExpression").asText();
          try {
            long cost = CelCost.estimate(compiled(expr).ast().getExpr(), schema);
            if (cost > CelCost.RULE_LIMIT) {
              errors.add(FieldError.forbidden(at + ".messageExpression", CelCost.exceeded(
                  "estimated messageExpression cost", cost, CelCost.RULE_LIMIT)));
            }
            total.observe(at + ".messageExpression", cost);
          } catch (IllegalArgumentException e) {
            errors.add(FieldError.invalid(at + ".messageExpression", expr,
                "messageExpression compilation failed: " + e.getMessage()));
          }
        }
        if (r.hasNonNull("reason") && !REASONS.contains(r.get("reason").asText())) {
          errors.add(FieldError.notSupported(at + ".reason", r.get("reason").asText(), REASONS));
        }
      }
    }
    JsonNode properties = schema.get("properties");
    if (properties != null && properties.isObject()) {
      properties.fields().forEachRemaining(p -> checkNode(p.getValue(), path + ".properties[" + p.getKey() + "]",
          bound, uncorrelatable, total, errors));
    }
    JsonNode additional = schema.get("additionalProperties");
    if (additional != null && additional.isObject()) {
      checkNode(additional, path + ".additionalProperties", CelCost.childBound(bound, schema), uncorrelatable,
          total, errors);
    }
    JsonNode items = schema.get("items");
    if (items != null && items.isObject()) {
      boolean mapList = "map".equals(schema.path("x-kubernetes-list-type").asText());
      checkNode(items, path + ".items", CelCost.childBound(bound, schema),
          uncorrelatable != null || mapList ? uncorrelatable : path, total, errors);
    }
  }

  /** A rule's message, messageExpression and fieldPath as kube-apiserver checks them. */
  private static void ruleFields(JsonNode r, JsonNode schema, String at, List<FieldError> errors) {
    String rule = r.path("rule").asText("").trim();
    if (r.hasNonNull("message")) {
      String message = r.get("message").asText();
      if (!message.isEmpty() && message.isBlank()) {
        errors.add(FieldError.invalid(at + ".message", message, "message must be non-empty if specified"));
      } else if (message.trim().contains("\n") || message.trim().contains("\r")) {
        errors.add(FieldError.invalid(at + ".message", message, "message must not contain line breaks"));
      }
    }
    if (!rule.isEmpty() && (rule.contains("\n") || rule.contains("\r")) && r.path("message").asText("").isBlank()) {
      errors.add(FieldError.required(at + ".message", "message must be specified if rule contains line breaks"));
    }
    if (r.hasNonNull("messageExpression") && r.get("messageExpression").asText().isBlank()) {
      errors.add(FieldError.required(at + ".messageExpression", "messageExpression must be non-empty if specified"));
    }
    if (r.hasNonNull("fieldPath")) {
      String fieldPath = r.get("fieldPath").asText();
      if (!fieldPath.isEmpty() && fieldPath.isBlank()) {
        errors.add(FieldError.invalid(at + ".fieldPath", fieldPath, "fieldPath must be non-empty if specified"));
      } else if (fieldPath.contains("\n") || fieldPath.contains("\r")) {
        errors.add(FieldError.invalid(at + ".fieldPath", fieldPath, "fieldPath must not contain line breaks"));
      } else if (!fieldPath.isEmpty() && !validFieldPath(fieldPath.trim(), schema)) {
        errors.add(FieldError.invalid(at + ".fieldPath", fieldPath, "fieldPath must be a valid path"));
      }
    }
  }

  /**
   * Whether a rule's fieldPath names a field under its node: {@code .name} and {@code ['name']}
   * steps through properties (any name where additionalProperties is given); lists cannot be
   * indexed, as in Kubernetes.
   */
  static boolean validFieldPath(String fieldPath, JsonNode schema) {
    return fieldPath(fieldPath, schema, "") != null;
  }

  /**
   * The error path of a rule's fieldPath under the rule's node at {@code base}, as Kubernetes
   * renders it (a property as {@code .name}, a map key as {@code [key]}), or null when it is not a
   * valid path.
   */
  static String fieldPath(String fieldPath, JsonNode schema, String base) {
    JsonNode s = schema;
    String at = base;
    int i = 0;
    if (fieldPath.isEmpty()) {
      return null;
    }
    while (i < fieldPath.length()) {
      String name;
      if (fieldPath.charAt(i) == '.') {
        int end = i + 1;
        while (end < fieldPath.length() && fieldPath.charAt(end) != '.' && fieldPath.charAt(end) != '[') {
          end++;
        }
        name = fieldPath.substring(i + 1, end);
        i = end;
      } else if (fieldPath.startsWith("['", i)) {
        int end = fieldPath.indexOf("']", i + 2);
        if (end < 0) {
          return null;
        }
        name = fieldPath.substring(i + 2, end);
        i = end + 2;
      } else {
        return null;
      }
      if (name.isEmpty() || s == null || !s.isObject()) {
        return null;
      }
      JsonNode p = s.path("properties").get(name);
      JsonNode additional = s.get("additionalProperties");
      if (p != null && p.isObject()) {
        s = p;
        at = at.isEmpty() ? name : FieldPath.field(at, name);
      } else if (additional != null && additional.isObject()) {
        s = additional;
        at = FieldPath.key(at, name);
      } else {
        return null;
      }
    }
    return at;
  }

  private static boolean usesOldSelf(dev.cel.common.ast.CelExpr e) {
    return switch (e.getKind()) {
      case IDENT -> e.ident().name().equals("oldSelf");
      case SELECT -> usesOldSelf(e.select().operand());
      case CALL -> (e.call().target().isPresent() && usesOldSelf(e.call().target().get()))
          || e.call().args().stream().anyMatch(CelRules::usesOldSelf);
      case LIST -> e.list().elements().stream().anyMatch(CelRules::usesOldSelf);
      case MAP -> e.map().entries().stream().anyMatch(m -> usesOldSelf(m.key()) || usesOldSelf(m.value()));
      case STRUCT -> e.struct().entries().stream().anyMatch(m -> usesOldSelf(m.value()));
      case COMPREHENSION -> usesOldSelf(e.comprehension().iterRange()) || usesOldSelf(e.comprehension().accuInit())
          || usesOldSelf(e.comprehension().loopCondition()) || usesOldSelf(e.comprehension().loopStep())
          || usesOldSelf(e.comprehension().result());
      default -> false;
    };
  }

  private static Compiled compiled(String expression) {
    Compiled c = PROGRAMS.get(expression);
    if (c != null) {
      return c;
    }
    try {
      CelAbstractSyntaxTree ast = COMPILER.compile(expression).getAst();
      c = new Compiled(ast, RUNTIME.createProgram(ast));
    } catch (dev.cel.common.CelException e) {
      throw new IllegalArgumentException(e.getMessage().replace('\n', ' ').replaceAll(" +", " ").trim(), e);
    }
    PROGRAMS.put(expression, c);
    return c;
  }

  // ---- on objects ----

  /** Every rule the object breaks ({@code old} is the stored object on an update, else null). */
  public static List<FieldError> evaluate(JsonNode schema, JsonNode object, JsonNode old) {
    List<FieldError> errors = new ArrayList<>();
    if (schema == null || !object.isObject()) {
      return errors;
    }
    Budget budget = new Budget();
    JsonNode properties = schema.path("properties");
    for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext() && !budget.spent(); ) {
      Map.Entry<String, JsonNode> m = it.next();
      if (m.getKey().equals("metadata") || m.getKey().equals("apiVersion") || m.getKey().equals("kind")) {
        continue;
      }
      JsonNode s = properties.get(m.getKey());
      if (s != null) {
        walk(s, m.getValue(), old == null ? null : old.get(m.getKey()), m.getKey(), budget, errors);
      }
    }
    return errors;
  }

  /** What the rules of one write may still spend ({@link CelCost#REQUEST_BUDGET}, as Kubernetes' per-request budget). */
  private static final class Budget {
    long remaining = CelCost.REQUEST_BUDGET;

    boolean spent() {
      return remaining < 0;
    }
  }

  /** Thrown by the evaluation listener when a rule spends more than the per-call limit. */
  private static final class CallLimitExceeded extends RuntimeException {
    CallLimitExceeded() {
      super("operation cancelled: actual cost limit exceeded", null, false, false);
    }
  }

  private static void walk(JsonNode s, JsonNode v, JsonNode old, String path, Budget budget, List<FieldError> errors) {
    if (v == null || v.isNull() || budget.spent()) {
      return;
    }
    JsonNode rules = s.get("x-kubernetes-validations");
    if (rules != null && rules.isArray()) {
      for (JsonNode r : rules) {
        check(r, s, v, old, path, budget, errors);
        if (budget.spent()) {
          return;
        }
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
          walk(ms, m.getValue(), old == null ? null : old.get(m.getKey()), FieldPath.field(path, m.getKey()), budget,
              errors);
        }
      }
    } else if (v.isArray() && s.get("items") != null && s.get("items").isObject()) {
      JsonNode items = s.get("items");
      for (int i = 0; i < v.size(); i++) {
        walk(items, v.get(i), correlated(s, v.get(i), old), FieldPath.index(path, i), budget, errors);
      }
    }
  }

  /**
   * The old item of a list item, as Kubernetes correlates them: only in {@code map} lists, the old
   * item with the same values of the map keys; items of atomic and set lists have none (and the
   * definition refuses transition rules inside them).
   */
  static JsonNode correlated(JsonNode listSchema, JsonNode item, JsonNode oldList) {
    if (oldList == null || !oldList.isArray() || !item.isObject()
        || !"map".equals(listSchema.path("x-kubernetes-list-type").asText())) {
      return null;
    }
    JsonNode keys = listSchema.get("x-kubernetes-list-map-keys");
    if (keys == null || !keys.isArray() || keys.isEmpty()) {
      return null;
    }
    for (JsonNode o : oldList) {
      boolean same = o.isObject();
      for (int k = 0; k < keys.size() && same; k++) {
        same = sameScalar(item.get(keys.get(k).asText()), o.get(keys.get(k).asText()));
      }
      if (same) {
        return o;
      }
    }
    return null;
  }

  private static boolean sameScalar(JsonNode a, JsonNode b) {
    if (a == null || a.isNull() || b == null || b.isNull()) {
      return (a == null || a.isNull()) && (b == null || b.isNull());
    }
    if (a.isNumber() && b.isNumber()) {
      return a.decimalValue().compareTo(b.decimalValue()) == 0;
    }
    return a.equals(b);
  }

  private static void check(JsonNode r, JsonNode s, JsonNode v, JsonNode old, String path, Budget budget,
      List<FieldError> errors) {
    String rule = r.path("rule").asText("");
    if (rule.isBlank()) {
      return;
    }
    Compiled compiled;
    try {
      compiled = compiled(rule);
    } catch (IllegalArgumentException e) {
      errors.add(FieldError.invalid(path, shown(v), "rule compile error: " + e.getMessage()));
      return;
    }
    boolean transition = usesOldSelf(compiled.ast().getExpr());
    if (transition && (old == null || old.isNull())) {
      return;
    }
    Map<String, Object> vars = new HashMap<>();
    vars.put("self", value(v));
    if (transition) {
      vars.put("oldSelf", value(old));
    }
    String at = path;
    if (r.hasNonNull("fieldPath") && !r.get("fieldPath").asText().isBlank()) {
      String under = fieldPath(r.get("fieldPath").asText().trim(), s, path);
      at = under != null ? under : path + r.get("fieldPath").asText().trim();
    }
    String reason = r.path("reason").asText("FieldValueInvalid");
    Object result;
    long[] cost = {0};
    try {
      result = compiled.program().trace(vars, (expr, value) -> {
        if (++cost[0] > CelCost.CALL_LIMIT) {
          throw new CallLimitExceeded();
        }
      });
    } catch (CelEvaluationException | IllegalArgumentException | CallLimitExceeded e) {
      budget.remaining -= cost[0];
      if (budget.spent()) {
        errors.add(FieldError.invalid(path, shown(v),
            "validation failed due to running out of cost budget, no further validation rules will be run"));
      } else if (cost[0] > CelCost.CALL_LIMIT || causedBy(e, CallLimitExceeded.class)) {
        errors.add(FieldError.invalid(at, shown(v), "call cost exceeds limit for rule: "
            + (r.hasNonNull("message") ? r.get("message").asText().trim() : rule.trim())));
      } else {
        errors.add(FieldError.invalid(at, shown(v), "rule evaluation failed: " + rule + ": " + e.getMessage()));
      }
      return;
    }
    budget.remaining -= cost[0];
    if (budget.spent()) {
      errors.add(FieldError.invalid(path, shown(v),
          "validation failed due to running out of cost budget, no further validation rules will be run"));
      return;
    }
    if (Boolean.TRUE.equals(result)) {
      return;
    }
    String message = r.hasNonNull("message") ? r.get("message").asText() : "failed rule: " + rule;
    if (r.hasNonNull("messageExpression")) {
      try {
        Object m = compiled(r.get("messageExpression").asText()).program().eval(vars);
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

  private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
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
