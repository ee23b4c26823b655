package io.capstan.logschema.validation;

import io.capstan.api.Container;
import io.capstan.api.Pod;
import io.capstan.api.PodSchedulingGate;
import io.capstan.api.PodSpec;
import io.capstan.api.Toleration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;

/**
 * What an update of a pod may change in its spec, as kube-apiserver's ValidatePodUpdate: the
 * images of its containers and init containers, {@code activeDeadlineSeconds} (set or lowered,
 * never removed or raised), tolerations (added, or an existing one's {@code tolerationSeconds}),
 * scheduling gates (removed), a gated pod's node selector (added to), and a negative termination
 * grace period set to 1. Everything else in a pod's spec is fixed once it exists: a client that
 * replaces a pod with its original manifest, without what admission added (the ServiceAccount
 * token volume, priority), is told so instead of silently losing it.
 */
public final class PodUpdateRules {
  static final String NOT_ALLOWED = "pod updates may not change fields other than `spec.containers[*].image`,"
      + "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing"
      + " tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";
  private static final int MAX_DIFF_VALUE = 300;

  private PodUpdateRules() {}

  /** The refusals of an update from {@code stored} to {@code updated}; empty when both are not pods or it may. */
  public static List<FieldError> checkUpdate(IndexedRecord stored, IndexedRecord updated) {
    if (!(stored instanceof Pod s) || !(updated instanceof Pod u) || s.getSpec() == null || u.getSpec() == null) {
      return List.of();
    }
    PodSpec was = s.getSpec();
    PodSpec now = u.getSpec();
    List<FieldError> errors = new ArrayList<>();
    if (size(now.getContainers()) != size(was.getContainers())) {
      errors.add(FieldError.forbidden("spec.containers", "pod updates may not add or remove containers"));
      return errors;
    }
    if (size(now.getInitContainers()) != size(was.getInitContainers())) {
      errors.add(FieldError.forbidden("spec.initContainers", "pod updates may not add or remove containers"));
      return errors;
    }
    Long oldDeadline = was.getActiveDeadlineSeconds();
    Long newDeadline = now.getActiveDeadlineSeconds();
    if (oldDeadline != null && newDeadline == null) {
      errors.add(new FieldError("spec.activeDeadlineSeconds", "FieldValueInvalid",
          "Invalid value: null: must not update from a positive integer to nil value"));
    } else if (oldDeadline != null && newDeadline > oldDeadline) {
      errors.add(FieldError.invalid("spec.activeDeadlineSeconds", newDeadline, "must be less than or equal to previous value"));
    }
    if (!onlyAdded(was.getTolerations(), now.getTolerations())) {
      errors.add(FieldError.forbidden("spec.tolerations", "existing toleration can not be modified except its tolerationSeconds"));
    }
    Set<String> gates = new HashSet<>();
    if (was.getSchedulingGates() != null) {
      was.getSchedulingGates().forEach(g -> gates.add(g.getName()));
    }
    if (now.getSchedulingGates() != null) {
      for (PodSchedulingGate g : now.getSchedulingGates()) {
        if (!gates.contains(g.getName())) {
          errors.add(FieldError.forbidden("spec.schedulingGates",
              "only deletion is allowed, but found new scheduling gate '" + g.getName() + "'"));
        }
      }
    }
    // The spec as it would be if only what may change had changed; it must equal the stored one.
    PodSpec munged = PodSpec.newBuilder(now).build();
    munged.setContainers(withImagesOf(now.getContainers(), was.getContainers()));
    munged.setInitContainers(withImagesOf(now.getInitContainers(), was.getInitContainers()));
    munged.setEphemeralContainers(was.getEphemeralContainers()); // their own subresource
    munged.setActiveDeadlineSeconds(oldDeadline);
    munged.setTolerations(was.getTolerations());
    munged.setSchedulingGates(was.getSchedulingGates());
    Long oldGrace = was.getTerminationGracePeriodSeconds();
    if (oldGrace != null && oldGrace < 0 && Objects.equals(munged.getTerminationGracePeriodSeconds(), 1L)) {
      munged.setTerminationGracePeriodSeconds(oldGrace);
    }
    if (!gates.isEmpty() && addsTo(was.getNodeSelector(), now.getNodeSelector())) {
      munged.setNodeSelector(was.getNodeSelector()); // a gated pod's node selector may grow
    }
    if (!munged.equals(was)) {
      errors.add(FieldError.forbidden("spec", NOT_ALLOWED + "\n" + diff(was, munged)));
    }
    return errors;
  }

  private static int size(List<?> list) {
    return list == null ? 0 : list.size();
  }

  private static List<Container> withImagesOf(List<Container> now, List<Container> was) {
    if (now == null) {
      return null;
    }
    List<Container> out = new ArrayList<>(now.size());
    for (int i = 0; i < now.size(); i++) {
      Container c = Container.newBuilder(now.get(i)).build();
      c.setImage(was.get(i).getImage());
      out.add(c);
    }
    return out;
  }

  /** Every old toleration is still there, at most with another {@code tolerationSeconds}. */
  private static boolean onlyAdded(List<Toleration> was, List<Toleration> now) {
    if (was == null) {
      return true;
    }
    for (Toleration old : was) {
      boolean found = false;
      for (Toleration t : now == null ? List.<Toleration>of() : now) {
        Toleration clone = Toleration.newBuilder(old).build();
        clone.setTolerationSeconds(t.getTolerationSeconds());
        if (clone.equals(t)) {
          found = true;
          break;
        }
      }
      if (!found) {
        return false;
      }
    }
    return true;
  }

  /** {@code now} holds every entry of {@code was} unchanged, and maybe more. */
  private static boolean addsTo(Map<String, String> was, Map<String, String> now) {
    Map<String, String> had = was == null ? Map.of() : was;
    Map<String, String> has = now == null ? Map.of() : now;
    Map<String, String> kept = new HashMap<>(has);
    kept.keySet().retainAll(had.keySet());
    return kept.equals(had);
  }

  /** The spec fields that differ, old value then new, as a short diff for the refusal's message. */
  static String diff(PodSpec was, PodSpec now) {
    StringBuilder b = new StringBuilder("  core.PodSpec{\n");
    for (Schema.Field f : PodSpec.getClassSchema().getFields()) {
      Object a = was.get(f.pos());
      Object z = now.get(f.pos());
      if (!Objects.equals(a, z)) {
        b.append("-   ").append(f.name()).append(": ").append(shortened(a)).append('\n');
        b.append("+   ").append(f.name()).append(": ").append(shortened(z)).append('\n');
      }
    }
    return b.append("  }").toString();
  }

  private static String shortened(Object value) {
    String s = String.valueOf(value);
    return s.length() <= MAX_DIFF_VALUE ? s : s.substring(0, MAX_DIFF_VALUE) + "…";
  }
}
