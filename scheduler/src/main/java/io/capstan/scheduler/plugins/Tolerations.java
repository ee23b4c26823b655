package io.capstan.scheduler.plugins;

import io.capstan.api.Taint;
import io.capstan.api.Toleration;
import java.util.List;
import java.util.function.Predicate;

/**
 * v1helper's toleration matching (Toleration.ToleratesTaint) for the plugins; the matching itself
 * lives in {@link io.capstan.logschema.taints.Tolerations}, shared with taint-based eviction.
 */
public final class Tolerations {
  private Tolerations() {}

  public static boolean tolerates(Toleration t, Taint taint) {
    return io.capstan.logschema.taints.Tolerations.tolerates(t, taint);
  }

  public static boolean tolerated(Taint taint, List<Toleration> tolerations) {
    return io.capstan.logschema.taints.Tolerations.tolerated(taint, tolerations);
  }

  /** The first taint passing {@code filter} that no toleration tolerates (FindMatchingUntoleratedTaint), or null. */
  public static Taint firstUntolerated(List<Taint> taints, List<Toleration> tolerations, Predicate<Taint> filter) {
    return io.capstan.logschema.taints.Tolerations.firstUntolerated(taints, tolerations, filter);
  }

  static String nz(String s) {
    return io.capstan.logschema.taints.Tolerations.nz(s);
  }
}
