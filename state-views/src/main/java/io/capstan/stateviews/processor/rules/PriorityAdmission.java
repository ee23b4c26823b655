package io.capstan.stateviews.processor.rules;

import io.capstan.api.Pod;
import io.capstan.api.PodSpec;
import io.capstan.api.PriorityClass;
import io.capstan.log.ErrorStatus;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.validation.PriorityClassRules;
import java.util.Objects;
import java.util.Optional;

/**
 * kube-apiserver's Priority admission plugin. A new pod gets {@code spec.priority} (and
 * {@code preemptionPolicy}) from the PriorityClass it names, or from the global default class
 * (whose name it then carries), or 0 when there is none; a class that does not exist, or a
 * priority the pod sets that disagrees with its class, is refused with 403. An update keeps the
 * resolved values a client left out. For PriorityClasses: only one may be the global default,
 * and the built-in {@code system-} classes cannot be deleted.
 */
public final class PriorityAdmission {
  /** Pods that name no class and find no default get this (scheduling.DefaultPriorityWhenNoDefaultClassExists). */
  public static final int DEFAULT_PRIORITY = 0;
  public static final String PREEMPT_LOWER_PRIORITY = "PreemptLowerPriority";

  private final NamedLookup<PriorityClass> classes;

  public PriorityAdmission(NamedLookup<PriorityClass> classes) {
    this.classes = Objects.requireNonNull(classes, "classes");
  }

  /** Resolves a new pod's priority in place; the refusal, or null when admitted. */
  public ErrorStatus admitCreate(Pod pod) {
    PodSpec spec = pod.getSpec();
    if (spec == null) {
      return null; // validation reports the missing spec
    }
    int priority;
    String policy;
    String className = spec.getPriorityClassName();
    if (className == null || className.isEmpty()) {
      Optional<PriorityClass> dflt = globalDefault();
      priority = dflt.map(PriorityClass::getValue).orElse(DEFAULT_PRIORITY);
      policy = dflt.map(PriorityClass::getPreemptionPolicy).orElse(PREEMPT_LOWER_PRIORITY);
      dflt.ifPresent(pc -> spec.setPriorityClassName(pc.getMetadata().getName()));
    } else {
      Optional<PriorityClass> pc = find(className);
      if (pc.isEmpty()) {
        return StatusErrors.forbidden(Kinds.POD, pod.getMetadata().getName(),
            "no PriorityClass with name " + className + " was found");
      }
      priority = pc.get().getValue();
      policy = pc.get().getPreemptionPolicy();
    }
    if (spec.getPriority() != null && spec.getPriority() != priority) {
      return StatusErrors.forbidden(Kinds.POD, pod.getMetadata().getName(), "the integer value of priority ("
          + spec.getPriority() + ") must not be provided in pod spec; priority admission controller computed "
          + priority + " from the given PriorityClass name");
    }
    spec.setPriority(priority);
    if (policy != null) {
      if (spec.getPreemptionPolicy() != null && !spec.getPreemptionPolicy().equals(policy)) {
        return StatusErrors.forbidden(Kinds.POD, pod.getMetadata().getName(), "the string value of PreemptionPolicy ("
            + spec.getPreemptionPolicy() + ") must not be provided in pod spec; priority admission controller computed "
            + policy + " from the given PriorityClass name");
      }
      spec.setPreemptionPolicy(policy);
    }
    return null;
  }

  /** On update: what admission set on create stays when the client sends the pod without it. */
  public static void keepResolved(Pod sent, Pod stored) {
    if (sent.getSpec() == null || stored.getSpec() == null) {
      return;
    }
    if (sent.getSpec().getPriority() == null) {
      sent.getSpec().setPriority(stored.getSpec().getPriority());
    }
    if (sent.getSpec().getPreemptionPolicy() == null) {
      sent.getSpec().setPreemptionPolicy(stored.getSpec().getPreemptionPolicy());
    }
  }

  /** A class that would be a second global default is refused (PriorityClass create and update). */
  public ErrorStatus admitClass(PriorityClass pc) {
    if (!Boolean.TRUE.equals(pc.getGlobalDefault())) {
      return null;
    }
    String name = pc.getMetadata().getName();
    Optional<PriorityClass> other = classes.all().stream()
        .filter(c -> Boolean.TRUE.equals(c.getGlobalDefault()) && !c.getMetadata().getName().equals(name))
        .findFirst();
    if (other.isPresent()) {
      return StatusErrors.forbidden(Kinds.PRIORITY_CLASS, name, "PriorityClass " + other.get().getMetadata().getName()
          + " is already marked as default. Only one default can exist");
    }
    return null;
  }

  /** The built-in classes stay (the priorityclasses registry refuses their delete). */
  public static ErrorStatus admitDelete(String name) {
    if (PriorityClassRules.SYSTEM_CLASSES.containsKey(name)) {
      return StatusErrors.forbidden(Kinds.PRIORITY_CLASS, name, "this is a system priority class and cannot be deleted");
    }
    return null;
  }

  /** A stored class, else a built-in one by its fixed value (so pods resolve them before they are stored). */
  private Optional<PriorityClass> find(String name) {
    Optional<PriorityClass> stored = classes.find(name);
    if (stored.isPresent() || !PriorityClassRules.SYSTEM_CLASSES.containsKey(name)) {
      return stored;
    }
    return Optional.of(systemClass(name));
  }

  /** A built-in class as the API server creates it at start. */
  public static PriorityClass systemClass(String name) {
    Integer value = PriorityClassRules.SYSTEM_CLASSES.get(name);
    if (value == null) {
      throw new IllegalArgumentException(name + " is not a system priority class");
    }
    String description = name.equals(PriorityClassRules.SYSTEM_NODE_CRITICAL)
        ? "Used for system critical pods that must not be moved from their current node."
        : "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.";
    return PriorityClass.newBuilder()
        .setMetadata(io.capstan.api.ObjectMeta.newBuilder().setName(name).build())
        .setValue(value).setGlobalDefault(false).setDescription(description)
        .setPreemptionPolicy(PREEMPT_LOWER_PRIORITY).build();
  }

  /** The default class; with several (a race), the one of lowest value, as the plugin picks. */
  private Optional<PriorityClass> globalDefault() {
    PriorityClass best = null;
    for (PriorityClass c : classes.all()) {
      if (Boolean.TRUE.equals(c.getGlobalDefault()) && (best == null || c.getValue() < best.getValue())) {
        best = c;
      }
    }
    return Optional.ofNullable(best);
  }
}
