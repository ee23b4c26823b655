package io.capstan.stateviews.processor.rules;

import static io.capstan.stateviews.processor.rules.ObjectFields.meta;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.api.EphemeralContainer;
import io.capstan.api.Pod;
import io.capstan.api.PodCondition;
import io.capstan.api.PodSpec;
import io.capstan.api.PodStatus;
import io.capstan.log.DeleteOptions;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.json.ObjectDiff;
import io.capstan.logschema.pods.EphemeralContainers;
import io.capstan.logschema.taints.DefaultTolerations;
import io.capstan.logschema.validation.FieldError;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What is special about pods: their initial status, graceful deletion, binding to a node, and
 * ephemeral containers, which only the ephemeralcontainers subresource adds.
 */
public final class PodRules {
  static final String EPHEMERAL_CONTAINERS = "spec.ephemeralContainers";
  /** As Kubernetes' default for {@code spec.terminationGracePeriodSeconds}. */
  public static final long DEFAULT_GRACE_SECONDS = 30;
  public static final String PENDING = "Pending";
  public static final String SUCCEEDED = "Succeeded";
  public static final String FAILED = "Failed";
  public static final String POD_SCHEDULED = "PodScheduled";

  private PodRules() {}

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

  /**
   * DefaultTolerationSeconds admits updates too: a client's update that lacks the two tolerations
   * it added on create gets them again (and is not refused for removing them).
   */
  static void prepareForUpdate(Pod pod) {
    if (pod.getSpec() != null) {
      DefaultTolerations.apply(pod.getSpec());
    }
  }

  /** The pods/ephemeralcontainers subresource: the stored pod with only the sent ephemeral containers taken. */
  static Pod withEphemeralContainersOf(Pod stored, Pod sent) {
    Pod after = ObjectFields.copy(stored);
    List<EphemeralContainer> added = sent.getSpec() == null ? null : sent.getSpec().getEphemeralContainers();
    after.getSpec().setEphemeralContainers(added == null ? null : new ArrayList<>(added));
    meta(after).setResourceVersion(meta(sent).getResourceVersion());
    return after;
  }

  /** A plain pod update leaves the ephemeral containers as stored: they belong to their subresource. */
  static void keepEphemeralContainers(Pod sent, Pod stored) {
    if (sent.getSpec() != null) {
      sent.getSpec().setEphemeralContainers(stored.getSpec() == null ? null : stored.getSpec().getEphemeralContainers());
    }
  }

  /**
   * An update that sends no ServiceAccount keeps the one admission set on create (the field is
   * immutable in Kubernetes; an older client's PUT that lacks it does not clear it).
   */
  static void keepServiceAccount(Pod sent, Pod stored) {
    if (sent.getSpec() != null && stored.getSpec() != null && ObjectFields.isEmpty(sent.getSpec().getServiceAccountName())
        && ObjectFields.isEmpty(sent.getSpec().getServiceAccount())) {
      sent.getSpec().setServiceAccountName(stored.getSpec().getServiceAccountName());
      sent.getSpec().setServiceAccount(stored.getSpec().getServiceAccount());
    }
  }

  /**
   * As ValidatePodEphemeralContainersUpdate: ephemeral containers are only ever added. One that is
   * gone or differs from what is stored (empty and absent alike) is refused, by name.
   */
  static List<FieldError> ephemeralContainerChanges(Pod stored, Pod after) {
    Map<String, EphemeralContainer> sent = new HashMap<>();
    for (EphemeralContainer e : EphemeralContainers.of(after.getSpec())) {
      sent.put(e.getName(), e);
    }
    List<FieldError> errors = new ArrayList<>();
    for (EphemeralContainer old : EphemeralContainers.of(stored.getSpec())) {
      EphemeralContainer now = sent.get(old.getName());
      if (now == null) {
        errors.add(FieldError.forbidden(EPHEMERAL_CONTAINERS,
            "existing ephemeral containers \"" + old.getName() + "\" may not be removed\n"));
        continue;
      }
      ObjectNode was = withoutEmpties(KubeJson.toJson(old));
      ObjectNode is = withoutEmpties(KubeJson.toJson(now));
      if (!was.equals(is)) {
        errors.add(FieldError.forbidden(EPHEMERAL_CONTAINERS + "[" + old.getName() + "]",
            "existing ephemeral containers \"" + old.getName() + "\" may not be changed\n"
                + String.join(", ", ObjectDiff.diff(was, is).changedPaths())));
      }
    }
    return errors;
  }

  /** As Go's semantic equality sees a struct: empty lists, maps and objects are as good as absent. */
  private static ObjectNode withoutEmpties(ObjectNode node) {
    var names = new ArrayList<String>();
    node.fieldNames().forEachRemaining(names::add);
    for (String name : names) {
      JsonNode v = node.get(name);
      if (v.isObject()) {
        withoutEmpties((ObjectNode) v);
      }
      if (v.isNull() || (v.isContainerNode() && v.isEmpty())) {
        node.remove(name);
      }
    }
    return node;
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
