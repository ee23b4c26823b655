package io.capstan.logschema.taints;

import io.capstan.api.PodSpec;
import io.capstan.api.Toleration;
import java.util.ArrayList;
import java.util.List;

/**
 * kube-apiserver's DefaultTolerationSeconds admission, for the write path to apply on pod create:
 * a pod that does not tolerate {@code not-ready:NoExecute} or {@code unreachable:NoExecute} gets
 * an {@code Exists} toleration of each for {@link #DEFAULT_SECONDS}, so that when its node is lost
 * it is evicted after five minutes rather than at once. A toleration with that key (or no key) and
 * that effect (or no effect) counts as tolerating, whatever its seconds.
 */
public final class DefaultTolerations {
  /** --default-not-ready-toleration-seconds and --default-unreachable-toleration-seconds. */
  public static final long DEFAULT_SECONDS = 300;

  private DefaultTolerations() {}

  /** Adds the missing default tolerations to {@code spec}; returns whether it changed. */
  public static boolean apply(PodSpec spec) {
    List<Toleration> tolerations = spec.getTolerations() == null ? List.of() : spec.getTolerations();
    boolean notReady = false;
    boolean unreachable = false;
    for (Toleration t : tolerations) {
      boolean anyKey = t.getKey() == null || t.getKey().isEmpty();
      boolean noExecute = t.getEffect() == null || t.getEffect().isEmpty() || TaintKeys.NO_EXECUTE.equals(t.getEffect());
      notReady |= noExecute && (anyKey || TaintKeys.NOT_READY.equals(t.getKey()));
      unreachable |= noExecute && (anyKey || TaintKeys.UNREACHABLE.equals(t.getKey()));
    }
    if (notReady && unreachable) {
      return false;
    }
    List<Toleration> out = new ArrayList<>(tolerations);
    if (!notReady) {
      out.add(toleration(TaintKeys.NOT_READY));
    }
    if (!unreachable) {
      out.add(toleration(TaintKeys.UNREACHABLE));
    }
    spec.setTolerations(out);
    return true;
  }

  private static Toleration toleration(String key) {
    return Toleration.newBuilder().setKey(key).setOperator("Exists").setEffect(TaintKeys.NO_EXECUTE)
        .setTolerationSeconds(DEFAULT_SECONDS).build();
  }
}
