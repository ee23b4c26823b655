package io.capstan.logschema.validation;

import static io.capstan.logschema.validation.FieldErrors.isEmpty;
import static io.capstan.logschema.validation.FieldErrors.orEmpty;

import io.capstan.api.LabelSelector;
import io.capstan.api.LabelSelectorRequirement;
import io.capstan.api.ObjectMeta;
import io.capstan.api.OwnerReference;
import io.capstan.logschema.json.FieldPath;
import io.capstan.logschema.kinds.Kind;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** ObjectMeta and label selectors, as apimachinery's ValidateObjectMeta and ValidateLabelSelector. */
final class MetadataRules {
  /** Kubernetes' limit on the total size of an object's annotations. */
  static final int TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;
  private static final List<String> SELECTOR_OPERATORS = List.of("In", "NotIn", "Exists", "DoesNotExist");

  private MetadataRules() {}

  static void checkObjectMeta(Kind kind, ObjectMeta meta, Function<String, List<String>> nameSyntax,
      FieldErrors errors) {
    errors.requiredName("metadata.name", meta.getName(), nameSyntax);
    if (kind.namespaced()) {
      errors.requiredName("metadata.namespace", meta.getNamespace(), Names::dns1123Label);
    } else if (!isEmpty(meta.getNamespace())) {
      errors.add(FieldError.forbidden("metadata.namespace", "not allowed on this type"));
    }
    errors.nonNegative("metadata.generation", meta.getGeneration());
    errors.nonNegative("metadata.deletionGracePeriodSeconds", meta.getDeletionGracePeriodSeconds());
    checkLabels("metadata.labels", meta.getLabels(), errors);
    checkAnnotations("metadata.annotations", meta.getAnnotations(), errors);
    int controllers = 0;
    List<OwnerReference> owners = orEmpty(meta.getOwnerReferences());
    for (int i = 0; i < owners.size(); i++) {
      if (Boolean.TRUE.equals(owners.get(i).getController())) {
        controllers++;
      }
    }
    if (controllers > 1) {
      errors.add(FieldError.invalid("metadata.ownerReferences", controllers + " controllers",
          "Only one reference can have Controller set to true"));
    }
    List<String> finalizers = orEmpty(meta.getFinalizers());
    for (int i = 0; i < finalizers.size(); i++) {
      errors.name(FieldPath.index("metadata.finalizers", i), finalizers.get(i), Names::qualifiedName);
    }
  }

  /** Label keys are qualified names and values label values; errors name the map, as Kubernetes does. */
  static void checkLabels(String path, Map<String, String> labels, FieldErrors errors) {
    for (Map.Entry<String, String> e : orEmpty(labels).entrySet()) {
      errors.name(path, e.getKey(), Names::qualifiedName);
      errors.name(path, e.getValue(), Names::labelValue);
    }
  }

  static void checkAnnotations(String path, Map<String, String> annotations, FieldErrors errors) {
    long total = 0;
    for (Map.Entry<String, String> e : orEmpty(annotations).entrySet()) {
      // Kubernetes lower-cases annotation keys before the syntax check.
      for (String problem : Names.qualifiedName(e.getKey().toLowerCase(java.util.Locale.ROOT))) {
        errors.add(FieldError.invalid(path, e.getKey(), problem));
      }
      total += e.getKey().getBytes(StandardCharsets.UTF_8).length;
      total += e.getValue() == null ? 0 : e.getValue().getBytes(StandardCharsets.UTF_8).length;
    }
    if (total > TOTAL_ANNOTATION_SIZE_LIMIT) {
      errors.add(FieldError.tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT));
    }
  }

  static void checkLabelSelector(String path, LabelSelector selector, FieldErrors errors) {
    if (selector == null) {
      return;
    }
    checkLabels(FieldPath.field(path, "matchLabels"), selector.getMatchLabels(), errors);
    List<LabelSelectorRequirement> exprs = orEmpty(selector.getMatchExpressions());
    for (int i = 0; i < exprs.size(); i++) {
      LabelSelectorRequirement r = exprs.get(i);
      String p = FieldPath.index(FieldPath.field(path, "matchExpressions"), i);
      errors.name(FieldPath.field(p, "key"), r.getKey(), Names::qualifiedName);
      errors.oneOf(FieldPath.field(p, "operator"), r.getOperator(), SELECTOR_OPERATORS);
      boolean hasValues = !orEmpty(r.getValues()).isEmpty();
      if (("In".equals(r.getOperator()) || "NotIn".equals(r.getOperator())) && !hasValues) {
        errors.add(FieldError.required(FieldPath.field(p, "values"),
            "must be specified when `operator` is 'In' or 'NotIn'"));
      }
      if (("Exists".equals(r.getOperator()) || "DoesNotExist".equals(r.getOperator())) && hasValues) {
        errors.add(FieldError.forbidden(FieldPath.field(p, "values"),
            "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      }
    }
  }

  /** Whether a label selector selects a set of labels (metav1.LabelSelectorAsSelector semantics). */
  static boolean matches(LabelSelector selector, Map<String, String> labels) {
    Map<String, String> l = orEmpty(labels);
    for (Map.Entry<String, String> e : orEmpty(selector.getMatchLabels()).entrySet()) {
      if (!e.getValue().equals(l.get(e.getKey()))) {
        return false;
      }
    }
    for (LabelSelectorRequirement r : orEmpty(selector.getMatchExpressions())) {
      String value = l.get(r.getKey());
      List<String> values = orEmpty(r.getValues());
      boolean ok = switch (r.getOperator()) {
        case "In" -> value != null && values.contains(value);
        case "NotIn" -> value == null || !values.contains(value);
        case "Exists" -> l.containsKey(r.getKey());
        case "DoesNotExist" -> !l.containsKey(r.getKey());
        default -> false;
      };
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** Whether a selector has no requirements (and so would select every pod). */
  static boolean isEmptySelector(LabelSelector selector) {
    return selector == null
        || (orEmpty(selector.getMatchLabels()).isEmpty() && orEmpty(selector.getMatchExpressions()).isEmpty());
  }
}
