package io.capstan.logschema.taints;

import io.capstan.api.Taint;
import io.capstan.api.Toleration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/** core/v1 helper's toleration matching (Toleration.ToleratesTaint, GetMatchingTolerations). */
public final class Tolerations {
  private Tolerations() {}

  /**
   * An empty effect tolerates every effect; an empty key with Exists tolerates every taint;
   * Exists ignores the value; Equal (the default operator) needs the same value.
   */
  public static boolean tolerates(Toleration t, Taint taint) {
    if (t.getEffect() != null && !t.getEffect().isEmpty() && !t.getEffect().equals(taint.getEffect())) {
      return false;
    }
    String key = t.getKey() == null ? "" : t.getKey();
    if (!key.isEmpty() && !key.equals(taint.getKey())) {
      return false;
    }
    String op = t.getOperator() == null || t.getOperator().isEmpty() ? "Equal" : t.getOperator();
    return switch (op) {
      case "Exists" -> true;
      case "Equal" -> !key.isEmpty() && nz(t.getValue()).equals(nz(taint.getValue()));
      default -> false;
    };
  }

  public static boolean tolerated(Taint taint, List<Toleration> tolerations) {
    return firstTolerating(taint, tolerations).isPresent();
  }

  /** The first toleration that tolerates {@code taint}, if any. */
  public static Optional<Toleration> firstTolerating(Taint taint, List<Toleration> tolerations) {
    if (tolerations != null) {
      for (Toleration t : tolerations) {
        if (tolerates(t, taint)) {
          return Optional.of(t);
        }
      }
    }
    return Optional.empty();
  }

  /** The first taint passing {@code filter} that no toleration tolerates (FindMatchingUntoleratedTaint), or null. */
  public static Taint firstUntolerated(List<Taint> taints, List<Toleration> tolerations, Predicate<Taint> filter) {
    for (Taint taint : taints) {
      if (filter.test(taint) && !tolerated(taint, tolerations)) {
        return taint;
      }
    }
    return null;
  }

  /**
   * GetMatchingTolerations: for every taint the first toleration that tolerates it, or empty when
   * some taint is tolerated by none (the pod does not tolerate the set).
   */
  public static Optional<List<Toleration>> matching(List<Taint> taints, List<Toleration> tolerations) {
    List<Toleration> used = new ArrayList<>();
    for (Taint taint : taints) {
      Optional<Toleration> t = firstTolerating(taint, tolerations);
      if (t.isEmpty()) {
        return Optional.empty();
      }
      used.add(t.get());
    }
    return Optional.of(used);
  }

  public static String nz(String s) {
    return s == null ? "" : s;
  }
}
