package io.capstan.logschema.validation;

import io.capstan.api.PriorityClass;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.generic.IndexedRecord;

/**
 * scheduling.k8s.io/v1 PriorityClass, as kube-apiserver's ValidatePriorityClass: names starting
 * with {@code system-} are the built-in classes only, with their values; user classes stay at or
 * below {@link #HIGHEST_USER_DEFINABLE}; {@code value} and {@code preemptionPolicy} never change.
 */
public final class PriorityClassRules {
  public static final int HIGHEST_USER_DEFINABLE = 1_000_000_000;
  public static final String SYSTEM_PREFIX = "system-";
  public static final String SYSTEM_CLUSTER_CRITICAL = "system-cluster-critical";
  public static final String SYSTEM_NODE_CRITICAL = "system-node-critical";
  /** The built-in classes and their values (scheduling.SystemPriorityClasses). */
  public static final Map<String, Integer> SYSTEM_CLASSES = Map.of(
      SYSTEM_CLUSTER_CRITICAL, 2 * HIGHEST_USER_DEFINABLE,
      SYSTEM_NODE_CRITICAL, 2 * HIGHEST_USER_DEFINABLE + 1000);
  public static final List<String> PREEMPTION_POLICIES = List.of("Never", "PreemptLowerPriority");

  private PriorityClassRules() {}

  static void check(PriorityClass pc, FieldErrors errors) {
    String name = pc.getMetadata().getName();
    if (name != null && name.startsWith(SYSTEM_PREFIX)) {
      String problem = systemClassProblem(name, pc.getValue(), Boolean.TRUE.equals(pc.getGlobalDefault()));
      if (problem != null) {
        errors.add(FieldError.forbidden("metadata.name", "priority class names with '" + SYSTEM_PREFIX
            + "' prefix are reserved for system use only. error: " + problem));
      }
    } else if (pc.getValue() > HIGHEST_USER_DEFINABLE) {
      errors.add(FieldError.forbidden("value", "maximum allowed value of a user defined priority is "
          + HIGHEST_USER_DEFINABLE));
    }
    errors.oneOf("preemptionPolicy", pc.getPreemptionPolicy(), PREEMPTION_POLICIES);
  }

  /** Null when a system- name is a built-in class with its value (IsKnownSystemPriorityClass). */
  private static String systemClassProblem(String name, int value, boolean globalDefault) {
    Integer known = SYSTEM_CLASSES.get(name);
    if (known == null) {
      return name + " is not a known system priority class";
    }
    if (known != value) {
      return "value of " + name + " PriorityClass must be " + known;
    }
    if (globalDefault) {
      return "globalDefault of " + name + " PriorityClass must be false";
    }
    return null;
  }

  /** What an update may not change (ValidatePriorityClassUpdate); empty for other kinds. */
  public static List<FieldError> checkUpdate(IndexedRecord stored, IndexedRecord updated) {
    if (!(stored instanceof PriorityClass was) || !(updated instanceof PriorityClass now)) {
      return List.of();
    }
    FieldErrors errors = new FieldErrors();
    if (was.getValue() != now.getValue()) {
      errors.add(FieldError.forbidden("value", "may not be changed in an update."));
    }
    if (!Objects.equals(was.getPreemptionPolicy(), now.getPreemptionPolicy())) {
      errors.add(FieldError.invalid("preemptionPolicy", String.valueOf(now.getPreemptionPolicy()),
          "field is immutable"));
    }
    return errors.list();
  }
}
