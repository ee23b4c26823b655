package io.capstan.logschema.quota;

import io.capstan.api.Container;
import io.capstan.api.Pod;
import io.capstan.api.PodSpec;
import io.capstan.api.ResourceRequirements;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.resource.Quantity;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.avro.generic.IndexedRecord;

/**
 * What one object counts against a ResourceQuota, as Kubernetes' quota evaluators compute it
 * ({@code pkg/quota/v1/evaluator/core}): a pod uses {@code count/pods}, and while it has not
 * finished also {@code pods}, {@code cpu}/{@code requests.cpu}, {@code memory}/{@code requests.memory},
 * {@code limits.cpu}, {@code limits.memory} and the ephemeral-storage names; any other object
 * uses its object count {@code count/<resource>[.<group>]} and, for the kinds that have one, the
 * legacy name ({@code configmaps}, {@code secrets}, {@code services}, ...).
 */
public final class ObjectUsage {
  public static final String PODS = "pods";
  public static final String CPU = "cpu";
  public static final String MEMORY = "memory";
  public static final String EPHEMERAL_STORAGE = "ephemeral-storage";
  public static final String REQUESTS_CPU = "requests.cpu";
  public static final String REQUESTS_MEMORY = "requests.memory";
  public static final String REQUESTS_EPHEMERAL_STORAGE = "requests.ephemeral-storage";
  public static final String LIMITS_CPU = "limits.cpu";
  public static final String LIMITS_MEMORY = "limits.memory";
  public static final String LIMITS_EPHEMERAL_STORAGE = "limits.ephemeral-storage";
  public static final String POD_COUNT = "count/pods";

  /** The names the pod evaluator answers for (podResources). */
  public static final Set<String> POD_RESOURCES = Set.of(POD_COUNT, CPU, MEMORY, EPHEMERAL_STORAGE, REQUESTS_CPU,
      REQUESTS_MEMORY, REQUESTS_EPHEMERAL_STORAGE, LIMITS_CPU, LIMITS_MEMORY, LIMITS_EPHEMERAL_STORAGE, PODS);

  /**
   * Compute resources a pod must state for each container when a quota tracks them (the pod
   * evaluator's validationSet, a backward-compatibility rule Kubernetes keeps for cpu and memory only).
   */
  public static final Set<String> MUST_SPECIFY = Set.of(CPU, MEMORY, REQUESTS_CPU, REQUESTS_MEMORY, LIMITS_CPU,
      LIMITS_MEMORY);

  /** Kinds whose object count also has a pre-{@code count/} name (core/v1 ResourceName constants). */
  private static final Set<String> LEGACY_COUNT_NAMES = Set.of("services", "configmaps", "secrets", "resourcequotas",
      "replicationcontrollers", "persistentvolumeclaims");

  private static final String SUCCEEDED = "Succeeded";
  private static final String FAILED = "Failed";

  private ObjectUsage() {}

  /** {@code count/pods}, {@code count/deployments.apps}: generic.ObjectCountQuotaResourceNameFor. */
  public static String countName(Kind kind) {
    return "count/" + kind.plural() + (kind.group().isEmpty() ? "" : "." + kind.group());
  }

  /** The resource names a quota can limit this kind by. */
  public static Set<String> resourcesOf(Kind kind) {
    if (isPod(kind)) {
      return POD_RESOURCES;
    }
    if (kind.group().isEmpty() && LEGACY_COUNT_NAMES.contains(kind.plural())) {
      return Set.of(countName(kind), kind.plural());
    }
    return Set.of(countName(kind));
  }

  /** The names among a quota's hard limits that this kind's objects use (evaluator.MatchingResources), sorted. */
  public static List<String> matchingResources(Kind kind, Collection<String> hardNames) {
    Set<String> mine = resourcesOf(kind);
    return hardNames.stream().filter(mine::contains).sorted().toList();
  }

  /** The object's usage (evaluator.Usage). */
  public static SortedMap<String, Quantity> of(Kind kind, IndexedRecord object) {
    if (object instanceof Pod pod) {
      return ofPod(pod);
    }
    SortedMap<String, Quantity> out = new TreeMap<>();
    for (String name : resourcesOf(kind)) {
      out.put(name, Quantity.of(1));
    }
    return out;
  }

  /**
   * A pod's usage (PodUsageFunc): {@code count/pods} always; the compute resources only while it
   * has not finished, since Kubernetes does not charge Succeeded or Failed pods for them.
   */
  public static SortedMap<String, Quantity> ofPod(Pod pod) {
    SortedMap<String, Quantity> out = new TreeMap<>();
    out.put(POD_COUNT, Quantity.of(1));
    if (isTerminal(pod)) {
      return out;
    }
    out.putAll(computeUsage(podTotal(pod.getSpec(), true), podTotal(pod.getSpec(), false)));
    return out;
  }

  public static boolean isTerminal(Pod pod) {
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    return SUCCEEDED.equals(phase) || FAILED.equals(phase);
  }

  /**
   * The compute names of a pod or container from its requests and limits (podComputeUsageHelper):
   * {@code pods=1}, {@code cpu} and {@code requests.cpu} from the cpu request, {@code limits.cpu}
   * from its limit, the same for memory and ephemeral-storage.
   */
  static SortedMap<String, Quantity> computeUsage(Map<String, Quantity> requests, Map<String, Quantity> limits) {
    SortedMap<String, Quantity> out = new TreeMap<>();
    out.put(PODS, Quantity.of(1));
    copy(requests, CPU, out, CPU, REQUESTS_CPU);
    copy(limits, CPU, out, LIMITS_CPU);
    copy(requests, MEMORY, out, MEMORY, REQUESTS_MEMORY);
    copy(limits, MEMORY, out, LIMITS_MEMORY);
    copy(requests, EPHEMERAL_STORAGE, out, EPHEMERAL_STORAGE, REQUESTS_EPHEMERAL_STORAGE);
    copy(limits, EPHEMERAL_STORAGE, out, LIMITS_EPHEMERAL_STORAGE);
    return out;
  }

  /**
   * The containers of a pod that do not state a resource the quota requires, as
   * {@code "must specify limits.cpu for: web; requests.memory for: init,web"} (the pod
   * evaluator's Constraints); null when every container states them all.
   */
  public static String missingRequests(Pod pod, Collection<String> required) {
    SortedMap<String, List<String>> missing = new TreeMap<>();
    List<String> requiredChecked = required.stream().filter(MUST_SPECIFY::contains).toList();
    if (requiredChecked.isEmpty() || pod.getSpec() == null) {
      return null;
    }
    List<Container> all = new ArrayList<>(pod.getSpec().getContainers());
    if (pod.getSpec().getInitContainers() != null) {
      all.addAll(pod.getSpec().getInitContainers());
    }
    for (Container c : all) {
      Set<String> stated = computeUsage(requests(c), limits(c)).keySet();
      for (String r : requiredChecked) {
        if (!stated.contains(r)) {
          List<String> names = missing.computeIfAbsent(r, k -> new ArrayList<>());
          if (!names.contains(c.getName())) {
            names.add(c.getName());
          }
        }
      }
    }
    if (missing.isEmpty()) {
      return null;
    }
    List<String> parts = new ArrayList<>();
    missing.forEach((r, names) -> parts.add(r + " for: " + String.join(",", names.stream().sorted().toList())));
    return "must specify " + String.join("; ", parts);
  }

  /**
   * The pod's requests or limits (resourcehelper.PodRequests / PodLimits): app containers and
   * restartPolicy Always init containers (sidecars) run together and add up; each other init
   * container runs alone next to the sidecars started before it; the pod needs the larger of the
   * two phases, plus its overhead. What quota admission charges, the LimitRanger holds Pod items
   * to and a node admits.
   */
  public static SortedMap<String, Quantity> podTotal(PodSpec spec, boolean requests) {
    SortedMap<String, Quantity> total = new TreeMap<>();
    if (spec == null) {
      return total;
    }
    for (Container c : spec.getContainers()) {
      total = ResourceLists.add(total, requests ? requests(c) : limits(c));
    }
    SortedMap<String, Quantity> sidecars = new TreeMap<>();
    SortedMap<String, Quantity> initPhase = new TreeMap<>();
    if (spec.getInitContainers() != null) {
      for (Container c : spec.getInitContainers()) {
        SortedMap<String, Quantity> r = requests ? requests(c) : limits(c);
        if ("Always".equals(c.getRestartPolicy())) {
          total = ResourceLists.add(total, r);
          sidecars = ResourceLists.add(sidecars, r);
          initPhase = max(initPhase, sidecars);
        } else {
          initPhase = max(initPhase, ResourceLists.add(r, sidecars));
        }
      }
    }
    total = max(total, initPhase);
    if (spec.getOverhead() != null && (requests || !total.isEmpty())) {
      // Overhead adds to limits only where a limit is set at all, as PodLimits does.
      SortedMap<String, Quantity> overhead = ResourceLists.parse(spec.getOverhead());
      if (!requests) {
        overhead = ResourceLists.mask(overhead, total.keySet());
      }
      total = ResourceLists.add(total, overhead);
    }
    return total;
  }

  /** A container's effective requests: a resource with a limit and no request requests its limit (API defaulting). */
  static SortedMap<String, Quantity> requests(Container c) {
    ResourceRequirements rr = c.getResources();
    SortedMap<String, Quantity> out = new TreeMap<>();
    if (rr == null) {
      return out;
    }
    out.putAll(ResourceLists.parse(rr.getLimits()));
    out.putAll(ResourceLists.parse(rr.getRequests()));
    return out;
  }

  static SortedMap<String, Quantity> limits(Container c) {
    ResourceRequirements rr = c.getResources();
    return rr == null ? new TreeMap<>() : ResourceLists.parse(rr.getLimits());
  }

  private static SortedMap<String, Quantity> max(Map<String, Quantity> a, Map<String, Quantity> b) {
    SortedMap<String, Quantity> out = new TreeMap<>(a);
    b.forEach((name, q) -> out.merge(name, q, (x, y) -> x.compareTo(y) >= 0 ? x : y));
    return out;
  }

  private static void copy(Map<String, Quantity> from, String name, Map<String, Quantity> to, String... as) {
    Quantity q = from.get(name);
    if (q != null) {
      for (String a : as) {
        to.put(a, q);
      }
    }
  }

  private static boolean isPod(Kind kind) {
    return kind.kind().equals("Pod") && kind.group().isEmpty();
  }
}
