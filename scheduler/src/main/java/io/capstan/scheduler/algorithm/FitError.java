package io.capstan.scheduler.algorithm;

import io.capstan.scheduler.framework.Status;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The pod fits on no node (framework.FitError). {@link #getMessage()} is Kubernetes' message:
 * {@code 0/5 nodes are available: 2 node(s) had untolerated taint {k: v}, 3 Insufficient cpu.}
 * — each reason counted over the nodes, the "count reason" strings sorted as strings (as
 * sortReasonsHistogram does), then a PostFilter (preemption) message if any.
 */
public final class FitError extends Exception {
  /** Kubernetes' ErrNoNodesAvailable, for a cluster with no nodes at all. */
  public static final String NO_NODES = "no nodes available to schedule pods";

  private final int numAllNodes;
  private final Diagnosis diagnosis;

  public FitError(int numAllNodes, Diagnosis diagnosis) {
    super(null, null, false, false);
    this.numAllNodes = numAllNodes;
    this.diagnosis = diagnosis;
  }

  public Diagnosis diagnosis() {
    return diagnosis;
  }

  public int numAllNodes() {
    return numAllNodes;
  }

  @Override
  public String getMessage() {
    return message(numAllNodes, diagnosis);
  }

  static String message(int numAllNodes, Diagnosis d) {
    if (numAllNodes == 0) {
      return NO_NODES;
    }
    StringBuilder msg = new StringBuilder("0/").append(numAllNodes).append(" nodes are available:");
    if (d.preFilterMessage != null && !d.preFilterMessage.isEmpty()) {
      msg.append(' ').append(d.preFilterMessage).append('.');
    } else {
      Map<String, Integer> reasons = new HashMap<>();
      for (Status s : d.nodeStatuses.values()) {
        for (String r : s.reasons()) {
          reasons.merge(r, 1, Integer::sum);
        }
      }
      List<String> histogram = new ArrayList<>();
      reasons.forEach((r, n) -> histogram.add(n + " " + r));
      Collections.sort(histogram);
      if (!histogram.isEmpty()) {
        msg.append(' ').append(String.join(", ", histogram)).append('.');
      }
    }
    if (d.postFilterMessage != null && !d.postFilterMessage.isEmpty()) {
      msg.append(' ').append(d.postFilterMessage);
    }
    return msg.toString();
  }
}
