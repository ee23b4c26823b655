package io.capstan.stateviews.processor.rules;

import io.capstan.api.Pod;
import io.capstan.api.PodCondition;
import io.capstan.api.PodSpec;
import io.capstan.api.PodStatus;
import io.capstan.log.DeleteOptions;
import io.capstan.logschema.taints.DefaultTolerations;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** What is special about pods: their initial status, graceful deletion and binding to a node. */
public final class PodRules {
  /** As Kubernetes' default for {@code spec.terminationGracePeriodSeconds}. */
  public static final long DEFAULT_GRACE_SECONDS = 30;
  public static final String PENDING = "Pending";
  public static final String SUCCEEDED = "Succeeded";
  public static final String FAILED = "Failed";
  public static final String POD_SCHEDULED = "PodScheduled";

  private PodRules() {}

  /** A new pod is Pending whatever status its creator sent, as kube-apiserver's pod strategy does. */
  /**
   * A new pod starts Pending, and gets kube-apiserver's DefaultTolerationSeconds admission: if it
   * does not tolerate the not-ready / unreachable NoExecute taints, it tolerates them for 300 s,
   * so a lost node's pods are evicted after five minutes rather than at once.
   */
  public static void prepareForCreate(Pod pod) {
    pod.setStatus(PodStatus.newBuilder().setPhase(PENDING).build());
    if (pod.getSpec() != null) {
      DefaultTolerations.apply(pod.getSpec());
    }
  }

  public static boolean isTerminal(Pod pod) {
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    return SUCCEEDED.equals(phase) || FAILED.equals(phase);
  }

  public static String nodeName(Pod pod) {
    return pod.getSpec() == null ? null : pod.getSpec().getNodeName();
  }

  /**
   * The grace period of a first delete, as the pod strategy's CheckGracefulDelete: the delete's
   * own, else the pod's {@code terminationGracePeriodSeconds}, else 30 s; zero for a pod that
   * never reached a node or has already finished (nothing runs that could stop gracefully).
   */
  public static long gracePeriod(Pod pod, DeleteOptions options) {
    long grace;
    if (options != null && options.getGracePeriodSeconds() != null) {
      grace = normalize(options.getGracePeriodSeconds());
    } else if (pod.getSpec() != null && pod.getSpec().getTerminationGracePeriodSeconds() != null) {
      grace = normalize(pod.getSpec().getTerminationGracePeriodSeconds());
    } else {
      grace = DEFAULT_GRACE_SECONDS;
    }
    if (ObjectFields.isEmpty(nodeName(pod)) || isTerminal(pod)) {
      grace = 0;
    }
    return grace;
  }

  /** Negative grace periods count as one second on the delete path, as in Kubernetes. */
  public static long normalize(long grace) {
    return grace < 0 ? 1 : grace;
  }

  /** Assigns the pod to a node and records the PodScheduled=True condition. */
  public static void bind(Pod pod, String node, Instant now) {
    PodSpec spec = pod.getSpec() == null ? PodSpec.newBuilder().build() : pod.getSpec();
    spec.setNodeName(node);
    pod.setSpec(spec);
    PodStatus status = pod.getStatus() == null ? PodStatus.newBuilder().setPhase(PENDING).build() : pod.getStatus();
    List<PodCondition> conditions = status.getConditions() == null ? new ArrayList<>() : new ArrayList<>(status.getConditions());
    PodCondition scheduled = PodCondition.newBuilder()
        .setType(POD_SCHEDULED).setStatus("True").setLastTransitionTime(ObjectFields.timestamp(now)).build();
    boolean replaced = false;
    for (int i = 0; i < conditions.size(); i++) {
      PodCondition c = conditions.get(i);
      if (POD_SCHEDULED.equals(c.getType())) {
        // Keep the transition time when it was already True, as UpdatePodCondition does.
        if ("True".equals(c.getStatus())) {
          scheduled.setLastTransitionTime(c.getLastTransitionTime());
        }
        conditions.set(i, scheduled);
        replaced = true;
      }
    }
    if (!replaced) {
      conditions.add(scheduled);
    }
    status.setConditions(conditions);
    pod.setStatus(status);
  }
}
