package io.capstan.logschema.quota;

import io.capstan.logschema.resource.Quantity;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Resource lists (resource name to quantity) as Kubernetes' {@code quota/v1} helpers treat
 * them: sums over the union of names, masks to a set of names, and the sorted
 * {@code name=quantity,...} form quota errors print. Lists are sorted maps so every printed or
 * stored form is deterministic.
 */
public final class ResourceLists {
  private ResourceLists() {}

  /** Parses quantities; throws {@link IllegalArgumentException} naming the resource whose quantity is bad. */
  public static SortedMap<String, Quantity> parse(Map<String, String> list) {
    SortedMap<String, Quantity> out = new TreeMap<>();
    if (list != null) {
      list.forEach((name, value) -> {
        try {
          out.put(name, Quantity.parse(value));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
        }
      });
    }
    return out;
  }

  /** The canonical string of every quantity, as a Kubernetes object carries them. */
  public static SortedMap<String, String> format(Map<String, Quantity> list) {
    SortedMap<String, String> out = new TreeMap<>();
    list.forEach((name, q) -> out.put(name, q.canonical()));
    return out;
  }

  /** {@code a + b} over the union of names (quota.Add); the first operand's notation wins unless it is zero. */
  public static SortedMap<String, Quantity> add(Map<String, Quantity> a, Map<String, Quantity> b) {
    SortedMap<String, Quantity> out = new TreeMap<>(a);
    b.forEach((name, q) -> out.merge(name, q, ResourceLists::plus));
    return out;
  }

  /** {@code a - b} over the union of names (quota.Subtract); may go negative. */
  public static SortedMap<String, Quantity> subtract(Map<String, Quantity> a, Map<String, Quantity> b) {
    SortedMap<String, Quantity> out = new TreeMap<>(a);
    b.forEach((name, q) -> out.merge(name, Quantity.ZERO.minus(q), ResourceLists::plus));
    return out;
  }

  /** Only the given names (quota.Mask). */
  public static SortedMap<String, Quantity> mask(Map<String, Quantity> list, Collection<String> names) {
    SortedMap<String, Quantity> out = new TreeMap<>();
    for (String n : names) {
      Quantity q = list.get(n);
      if (q != null) {
        out.put(n, q);
      }
    }
    return out;
  }

  /** Without zero quantities (quota.RemoveZeros). */
  public static SortedMap<String, Quantity> removeZeros(Map<String, Quantity> list) {
    SortedMap<String, Quantity> out = new TreeMap<>();
    list.forEach((name, q) -> {
      if (q.signum() != 0) {
        out.put(name, q);
      }
    });
    return out;
  }

  /** Each name of {@code names} with its quantity in {@code list}, zero when absent: a quota's used for its hard names. */
  public static SortedMap<String, Quantity> zeroFilled(Map<String, Quantity> list, Set<String> names) {
    SortedMap<String, Quantity> out = new TreeMap<>();
    for (String n : names) {
      out.put(n, list.getOrDefault(n, Quantity.ZERO));
    }
    return out;
  }

  /** {@code a=1,b=500m}, sorted by name: how quota admission errors print lists (prettyPrint). */
  public static String prettyPrint(Map<String, Quantity> list) {
    StringBuilder b = new StringBuilder();
    new TreeMap<>(list).forEach((name, q) -> {
      if (b.length() > 0) {
        b.append(',');
      }
      b.append(name).append('=').append(q.canonical());
    });
    return b.toString();
  }

  /** Adds keeping the notation of the first non-zero operand (1Gi + 512Mi prints 1536Mi). */
  static Quantity plus(Quantity a, Quantity b) {
    if (a.signum() == 0) {
      return new Quantity(a.amount().add(b.amount()), b.format());
    }
    return a.plus(b);
  }
}
