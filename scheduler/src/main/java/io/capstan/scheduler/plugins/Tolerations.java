package io.capstan.scheduler.plugins;

import io.capstan.api.Taint;
import io.capstan.api.Toleration;
import java.util.List;
import java.util.function.Predicate;

/** v1helper's toleration matching (Toleration.ToleratesTaint). */
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
    for (Toleration t : tolerations) {
      if (tolerates(t, taint)) {
        return true;
      }
    }
    return false;
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

  static String nz(String s) {
    return s == null ? "" : s;
  }
}
