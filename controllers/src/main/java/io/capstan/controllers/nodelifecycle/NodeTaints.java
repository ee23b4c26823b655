package io.capstan.controllers.nodelifecycle;

import static io.capstan.logschema.taints.TaintKeys.NO_EXECUTE;
import static io.capstan.logschema.taints.TaintKeys.NO_SCHEDULE;

import io.capstan.api.Node;
import io.capstan.api.NodeCondition;
import io.capstan.api.Taint;
import io.capstan.logschema.taints.TaintKeys;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The taints the node lifecycle controller keeps on a node, from its conditions:
 * <ul>
 *   <li>TaintNodesByCondition (doNoScheduleTaintingPass): a {@code NoSchedule} taint per unhealthy
 *       condition (Ready False → not-ready, Ready Unknown → unreachable, MemoryPressure /
 *       DiskPressure / PIDPressure / NetworkUnavailable True → the matching key) and for
 *       {@code spec.unschedulable}, so the scheduler keeps new pods off;</li>
 *   <li>taint-based eviction (processTaintBaseEviction): {@code not-ready:NoExecute} while Ready is
 *       False, {@code unreachable:NoExecute} while it is Unknown (the two exclude each other),
 *       neither while it is True; a node that never posted Ready keeps what it has.</li>
 * </ul>
 * Taints of other keys, and of these keys with other effects, are the user's and stay untouched.
 * A taint that is already there keeps its {@code timeAdded}; a new one gets "now", which is when
 * its toleration seconds start counting.
 */
final class NodeTaints {
  /** {condition type: {status: taint key}} (nodeConditionToTaintKeyStatusMap). */
  static final Map<String, Map<String, String>> CONDITION_TAINTS = Map.of(
      NodeConditions.READY, Map.of(NodeConditions.FALSE, TaintKeys.NOT_READY,
          NodeConditions.UNKNOWN, TaintKeys.UNREACHABLE),
      NodeConditions.MEMORY_PRESSURE, Map.of(NodeConditions.TRUE, TaintKeys.MEMORY_PRESSURE),
      NodeConditions.DISK_PRESSURE, Map.of(NodeConditions.TRUE, TaintKeys.DISK_PRESSURE),
      NodeConditions.NETWORK_UNAVAILABLE, Map.of(NodeConditions.TRUE, TaintKeys.NETWORK_UNAVAILABLE),
      NodeConditions.PID_PRESSURE, Map.of(NodeConditions.TRUE, TaintKeys.PID_PRESSURE));
  /** The NoSchedule keys this controller owns: the condition taints and the cordon taint. */
  static final Set<String> NO_SCHEDULE_KEYS = Set.of(TaintKeys.NOT_READY, TaintKeys.UNREACHABLE,
      TaintKeys.MEMORY_PRESSURE, TaintKeys.DISK_PRESSURE, TaintKeys.NETWORK_UNAVAILABLE, TaintKeys.PID_PRESSURE,
      TaintKeys.UNSCHEDULABLE);
  /** The NoExecute keys this controller owns. */
  static final Set<String> NO_EXECUTE_KEYS = Set.of(TaintKeys.NOT_READY, TaintKeys.UNREACHABLE);

  private NodeTaints() {}

  /** The node's taints as they should be, or empty when they already are. */
  static Optional<List<Taint>> reconcile(Node node, Instant now) {
    List<Taint> current = taints(node);
    Set<String> wanted = new LinkedHashSet<>(); // "key:effect" of the managed taints that should be there
    for (NodeCondition c : NodeConditions.all(node)) {
      String key = CONDITION_TAINTS.getOrDefault(c.getType(), Map.of()).get(c.getStatus());
      if (key != null) {
        wanted.add(id(key, NO_SCHEDULE));
      }
    }
    if (node.getSpec() != null && Boolean.TRUE.equals(node.getSpec().getUnschedulable())) {
      wanted.add(id(TaintKeys.UNSCHEDULABLE, NO_SCHEDULE));
    }
    String ready = NodeConditions.ready(node);
    if (ready == null) {
      // Not posted yet: leave the NoExecute taints as they are until the node or the grace period decides.
      current.stream().filter(t -> isManaged(t) && NO_EXECUTE.equals(t.getEffect()))
          .forEach(t -> wanted.add(id(t.getKey(), t.getEffect())));
    } else if (NodeConditions.FALSE.equals(ready)) {
      wanted.add(id(TaintKeys.NOT_READY, NO_EXECUTE));
    } else if (NodeConditions.UNKNOWN.equals(ready)) {
      wanted.add(id(TaintKeys.UNREACHABLE, NO_EXECUTE));
    }
    List<Taint> out = new ArrayList<>();
    Set<String> present = new LinkedHashSet<>();
    for (Taint t : current) {
      if (!isManaged(t) || wanted.contains(id(t.getKey(), t.getEffect()))) {
        if (present.add(id(t.getKey(), t.getEffect())) || !isManaged(t)) {
          out.add(t);
        }
      }
    }
    for (String w : wanted) {
      if (!present.contains(w)) {
        int colon = w.lastIndexOf(':');
        out.add(Taint.newBuilder().setKey(w.substring(0, colon)).setEffect(w.substring(colon + 1))
            .setTimeAdded(now.toString()).build());
      }
    }
    return out.equals(current) ? Optional.empty() : Optional.of(out);
  }

  /** The node's NoExecute taints (getNoExecuteTaints), the ones that evict. */
  static List<Taint> noExecute(Node node) {
    return taints(node).stream().filter(t -> NO_EXECUTE.equals(t.getEffect())).toList();
  }

  static List<Taint> taints(Node node) {
    return node.getSpec() == null || node.getSpec().getTaints() == null ? List.of() : node.getSpec().getTaints();
  }

  private static boolean isManaged(Taint t) {
    return (NO_SCHEDULE.equals(t.getEffect()) && NO_SCHEDULE_KEYS.contains(t.getKey()))
        || (NO_EXECUTE.equals(t.getEffect()) && NO_EXECUTE_KEYS.contains(t.getKey()));
  }

  private static String id(String key, String effect) {
    return key + ":" + effect;
  }
}
