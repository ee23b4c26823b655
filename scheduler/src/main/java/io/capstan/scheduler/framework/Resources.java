package io.capstan.scheduler.framework;

import io.capstan.logschema.resource.Quantity;
import java.util.Map;
import java.util.TreeMap;

/**
 * An amount of node resources (framework.Resource): cpu in millicores, memory and
 * ephemeral-storage in bytes, a pod count, and scalar (extended, hugepages) resources in
 * whole units. Mutable because NodeInfo adds and subtracts pods in place; copy before sharing.
 */
public final class Resources {
  public static final String CPU = "cpu";
  public static final String MEMORY = "memory";
  public static final String EPHEMERAL_STORAGE = "ephemeral-storage";
  public static final String PODS = "pods";

  public long milliCpu;
  public long memory;
  public long ephemeralStorage;
  public long allowedPodNumber;
  /** Extended and hugepages resources by name; sorted so failure reasons come out in a stable order. */
  public final Map<String, Long> scalar = new TreeMap<>();

  public Resources() {}

  public Resources(long milliCpu, long memory) {
    this.milliCpu = milliCpu;
    this.memory = memory;
  }

  /** Parses a Kubernetes resource list ({@code requests}, {@code allocatable}); bad quantities name the resource. */
  public static Resources of(Map<String, String> list) {
    Resources r = new Resources();
    if (list != null) {
      list.forEach((name, value) -> r.set(name, parse(name, value)));
    }
    return r;
  }

  static Quantity parse(String name, String value) {
    try {
      return Quantity.parse(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("resource " + name + ": " + e.getMessage(), e);
    }
  }

  /** Sets one resource; names outside the scheduler's view (e.g. {@code storage}) are ignored as Kubernetes ignores them. */
  public void set(String name, Quantity q) {
    switch (name) {
      case CPU -> milliCpu = q.milliValue();
      case MEMORY -> memory = q.value();
      case EPHEMERAL_STORAGE -> ephemeralStorage = q.value();
      case PODS -> allowedPodNumber = q.value();
      default -> {
        if (isScalar(name)) {
          scalar.put(name, q.value());
        }
      }
    }
  }

  /**
   * Whether the scheduler accounts a resource as a scalar (schedutil.IsScalarResourceName): an
   * extended resource ({@code example.com/gpu}, not in the {@code kubernetes.io/} namespace),
   * hugepages, or attachable volumes.
   */
  public static boolean isScalar(String name) {
    if (name.startsWith("hugepages-") || name.startsWith("attachable-volumes-")) {
      return true;
    }
    int slash = name.indexOf('/');
    if (slash < 0) {
      return false;
    }
    String domain = name.substring(0, slash);
    return !(domain.equals("kubernetes.io") || domain.endsWith(".kubernetes.io")) && !name.startsWith("requests.");
  }

  public void add(Resources o) {
    milliCpu += o.milliCpu;
    memory += o.memory;
    ephemeralStorage += o.ephemeralStorage;
    allowedPodNumber += o.allowedPodNumber;
    o.scalar.forEach((k, v) -> scalar.merge(k, v, Long::sum));
  }

  public void subtract(Resources o) {
    milliCpu -= o.milliCpu;
    memory -= o.memory;
    ephemeralStorage -= o.ephemeralStorage;
    allowedPodNumber -= o.allowedPodNumber;
    o.scalar.forEach((k, v) -> scalar.merge(k, -v, Long::sum));
  }

  /** Raises each resource to at least {@code o}'s amount. */
  public void max(Resources o) {
    milliCpu = Math.max(milliCpu, o.milliCpu);
    memory = Math.max(memory, o.memory);
    ephemeralStorage = Math.max(ephemeralStorage, o.ephemeralStorage);
    allowedPodNumber = Math.max(allowedPodNumber, o.allowedPodNumber);
    o.scalar.forEach((k, v) -> scalar.merge(k, v, Math::max));
  }

  public long get(String name) {
    return switch (name) {
      case CPU -> milliCpu;
      case MEMORY -> memory;
      case EPHEMERAL_STORAGE -> ephemeralStorage;
      case PODS -> allowedPodNumber;
      default -> scalar.getOrDefault(name, 0L);
    };
  }

  /** A resource name resolved once, for scores that read it on every node of every cycle. */
  public enum Field {
    CPU, MEMORY, EPHEMERAL_STORAGE, PODS, SCALAR;

    public static Field of(String name) {
      return switch (name) {
        case Resources.CPU -> CPU;
        case Resources.MEMORY -> MEMORY;
        case Resources.EPHEMERAL_STORAGE -> EPHEMERAL_STORAGE;
        case Resources.PODS -> PODS;
        default -> SCALAR;
      };
    }
  }

  /** {@link #get(String)} with the name already resolved; {@code name} is read only for scalars. */
  public long get(Field field, String name) {
    return switch (field) {
      case CPU -> milliCpu;
      case MEMORY -> memory;
      case EPHEMERAL_STORAGE -> ephemeralStorage;
      case PODS -> allowedPodNumber;
      case SCALAR -> scalar.isEmpty() ? 0L : scalar.getOrDefault(name, 0L);
    };
  }

  public boolean isZero() {
    return milliCpu == 0 && memory == 0 && ephemeralStorage == 0 && scalar.values().stream().allMatch(v -> v == 0);
  }

  public Resources copy() {
    Resources r = new Resources();
    r.add(this);
    return r;
  }

  @Override
  public String toString() {
    return "cpu=" + milliCpu + "m memory=" + memory + " ephemeral-storage=" + ephemeralStorage
        + " pods=" + allowedPodNumber + (scalar.isEmpty() ? "" : " " + scalar);
  }
}
