package io.capstan.controllers.hpa;

import io.capstan.api.Container;
import io.capstan.api.Pod;
import io.capstan.api.PodCondition;
import io.capstan.logschema.resource.Quantity;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * kube's replica calculator for Resource metrics: from the target's pods and their measured usage,
 * the replica count that brings the average to the target (a utilization of the pods' requests, or
 * a raw average value). Changes within the tolerance are no change; pods being deleted or failed
 * are ignored; pending pods, and CPU samples of pods still starting, count as unready; pods without
 * a sample count as missing. A scale-up treats unready and missing pods as idle, a scale-down
 * treats missing pods as fully used, and a result that would reverse the direction is no change.
 */
public final class ReplicaCalculator {
  /** kube's --horizontal-pod-autoscaler-tolerance default. */
  public static final double DEFAULT_TOLERANCE = 0.1;
  /** kube's --horizontal-pod-autoscaler-cpu-initialization-period default. */
  public static final Duration DEFAULT_CPU_INITIALIZATION_PERIOD = Duration.ofMinutes(5);
  /** kube's --horizontal-pod-autoscaler-initial-readiness-delay default. */
  public static final Duration DEFAULT_INITIAL_READINESS_DELAY = Duration.ofSeconds(30);

  /** One pod's usage: in milli-units (millicores, milli-bytes), sampled at timestamp over window. */
  public record PodMetric(long milliValue, Instant timestamp, Duration window) {}

  /** The replica count asked for, the current average utilization (percent) and the raw average (milli-units). */
  public record Recommendation(int replicas, Integer utilization, long rawAverage) {}

  /** Why no recommendation could be made, in kube's words. */
  public static final class MetricsException extends Exception {
    public MetricsException(String message) {
      super(message);
    }
  }

  private final double tolerance;
  private final Duration cpuInitializationPeriod;
  private final Duration initialReadinessDelay;

  public ReplicaCalculator(double tolerance, Duration cpuInitializationPeriod, Duration initialReadinessDelay) {
    this.tolerance = tolerance;
    this.cpuInitializationPeriod = cpuInitializationPeriod;
    this.initialReadinessDelay = initialReadinessDelay;
  }

  public static ReplicaCalculator standard() {
    return new ReplicaCalculator(DEFAULT_TOLERANCE, DEFAULT_CPU_INITIALIZATION_PERIOD, DEFAULT_INITIAL_READINESS_DELAY);
  }

  /** kube's GetResourceReplicas: the count for a target average utilization (percent of requests). */
  public Recommendation resourceReplicas(int currentReplicas, int targetUtilization, String resource, String container,
      List<Pod> pods, Map<String, PodMetric> measured, Instant now) throws MetricsException {
    Map<String, Long> metrics = usable(pods, measured);
    Groups groups = group(pods, measured, resource, now);
    metrics.keySet().removeAll(groups.ignored);
    metrics.keySet().removeAll(groups.unready);
    if (metrics.isEmpty()) {
      throw new MetricsException("did not receive metrics for targeted pods (pods might be unready)");
    }
    Map<String, Long> requests = requests(pods, container, resource);
    Ratio ratio = utilizationRatio(metrics, requests, targetUtilization);
    boolean scaleUpWithUnready = !groups.unready.isEmpty() && ratio.ratio > 1.0;
    if (!scaleUpWithUnready && groups.missing.isEmpty()) {
      if (within(ratio.ratio)) {
        return new Recommendation(currentReplicas, ratio.utilization, ratio.rawAverage);
      }
      return new Recommendation((int) Math.ceil(ratio.ratio * groups.ready), ratio.utilization, ratio.rawAverage);
    }
    if (ratio.ratio < 1.0) {
      long fallback = Math.max(100, targetUtilization);
      for (String pod : groups.missing) {
        metrics.put(pod, requests.getOrDefault(pod, 0L) * fallback / 100);
      }
    } else if (ratio.ratio > 1.0) {
      for (String pod : groups.missing) {
        metrics.put(pod, 0L);
      }
    }
    if (scaleUpWithUnready) {
      for (String pod : groups.unready) {
        metrics.put(pod, 0L);
      }
    }
    double newRatio = utilizationRatio(metrics, requests, targetUtilization).ratio;
    return rebalanced(currentReplicas, ratio.ratio, newRatio, metrics.size(),
        new Recommendation(currentReplicas, ratio.utilization, ratio.rawAverage));
  }

  /** kube's GetRawResourceReplicas: the count for a target average value (milli-units) per pod. */
  public Recommendation rawResourceReplicas(int currentReplicas, long targetMilliValue, String resource,
      List<Pod> pods, Map<String, PodMetric> measured, Instant now) throws MetricsException {
    if (pods.isEmpty()) {
      throw new MetricsException("no pods returned by selector while calculating replica count");
    }
    Map<String, Long> metrics = usable(pods, measured);
    Groups groups = group(pods, measured, resource, now);
    metrics.keySet().removeAll(groups.ignored);
    metrics.keySet().removeAll(groups.unready);
    if (metrics.isEmpty()) {
      throw new MetricsException("did not receive metrics for targeted pods (pods might be unready)");
    }
    long average = average(metrics);
    double ratio = (double) average / targetMilliValue;
    boolean scaleUpWithUnready = !groups.unready.isEmpty() && ratio > 1.0;
    if (!scaleUpWithUnready && groups.missing.isEmpty()) {
      if (within(ratio)) {
        return new Recommendation(currentReplicas, null, average);
      }
      return new Recommendation((int) Math.ceil(ratio * groups.ready), null, average);
    }
    for (String pod : groups.missing) {
      metrics.put(pod, ratio < 1.0 ? targetMilliValue : 0L);
    }
    if (scaleUpWithUnready) {
      for (String pod : groups.unready) {
        metrics.put(pod, 0L);
      }
    }
    double newRatio = (double) average(metrics) / targetMilliValue;
    return rebalanced(currentReplicas, ratio, newRatio, metrics.size(), new Recommendation(currentReplicas, null, average));
  }

  /** The count after missing and unready pods were filled in, unless that is within tolerance or turns back. */
  private Recommendation rebalanced(int currentReplicas, double ratio, double newRatio, int counted,
      Recommendation unchanged) {
    if (within(newRatio) || (ratio < 1.0 && newRatio > 1.0) || (ratio > 1.0 && newRatio < 1.0)) {
      return unchanged;
    }
    int replicas = (int) Math.ceil(newRatio * counted);
    if ((newRatio < 1.0 && replicas > currentReplicas) || (newRatio > 1.0 && replicas < currentReplicas)) {
      return unchanged;
    }
    return new Recommendation(replicas, unchanged.utilization(), unchanged.rawAverage());
  }

  private boolean within(double ratio) {
    return Math.abs(1.0 - ratio) <= tolerance;
  }

  private static Map<String, Long> usable(List<Pod> pods, Map<String, PodMetric> measured) {
    Map<String, Long> metrics = new HashMap<>();
    measured.forEach((pod, m) -> metrics.put(pod, m.milliValue()));
    return metrics;
  }

  private record Groups(int ready, Set<String> unready, Set<String> missing, Set<String> ignored) {}

  /** kube's groupPods. */
  private Groups group(List<Pod> pods, Map<String, PodMetric> measured, String resource, Instant now)
      throws MetricsException {
    if (pods.isEmpty()) {
      throw new MetricsException("no pods returned by selector while calculating replica count");
    }
    int ready = 0;
    Set<String> unready = new LinkedHashSet<>();
    Set<String> missing = new LinkedHashSet<>();
    Set<String> ignored = new LinkedHashSet<>();
    for (Pod pod : pods) {
      String name = pod.getMetadata().getName();
      String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
      if (pod.getMetadata().getDeletionTimestamp() != null || "Failed".equals(phase)) {
        ignored.add(name);
        continue;
      }
      if ("Pending".equals(phase)) {
        unready.add(name);
        continue;
      }
      PodMetric metric = measured.get(name);
      if (metric == null) {
        missing.add(name);
        continue;
      }
      if ("cpu".equals(resource) && cpuUnready(pod, metric, now)) {
        unready.add(name);
        continue;
      }
      ready++;
    }
    return new Groups(ready, unready, missing, ignored);
  }

  /** A CPU sample is not trusted while the pod starts: unready, or taken before a full window since it became ready. */
  private boolean cpuUnready(Pod pod, PodMetric metric, Instant now) {
    PodCondition readyCondition = null;
    for (PodCondition c : pod.getStatus().getConditions() == null ? List.<PodCondition>of()
        : pod.getStatus().getConditions()) {
      if ("Ready".equals(c.getType())) {
        readyCondition = c;
      }
    }
    String start = pod.getStatus().getStartTime();
    if (readyCondition == null || start == null) {
      return true;
    }
    Instant started = Instant.parse(start);
    Instant transition = readyCondition.getLastTransitionTime() == null ? Instant.EPOCH
        : Instant.parse(readyCondition.getLastTransitionTime());
    boolean notReady = "False".equals(readyCondition.getStatus());
    if (started.plus(cpuInitializationPeriod).isAfter(now)) {
      return notReady || metric.timestamp().isBefore(transition.plus(metric.window()));
    }
    return notReady && started.plus(initialReadinessDelay).isAfter(transition);
  }

  /** kube's calculatePodRequests: each pod's request of the resource, in milli-units, over its (sidecar) containers. */
  static Map<String, Long> requests(List<Pod> pods, String container, String resource) throws MetricsException {
    Map<String, Long> requests = new HashMap<>();
    for (Pod pod : pods) {
      List<Container> containers = new ArrayList<>(pod.getSpec().getContainers());
      if (pod.getSpec().getInitContainers() != null) {
        for (Container c : pod.getSpec().getInitContainers()) {
          if ("Always".equals(c.getRestartPolicy())) {
            containers.add(c);
          }
        }
      }
      long sum = 0;
      for (Container c : containers) {
        if (container != null && !container.isEmpty() && !container.equals(c.getName())) {
          continue;
        }
        String request = c.getResources() == null || c.getResources().getRequests() == null ? null
            : c.getResources().getRequests().get(resource);
        if (request == null) {
          throw new MetricsException("missing request for " + resource + " in container " + c.getName() + " of Pod "
              + pod.getMetadata().getName());
        }
        sum += Quantity.parse(request).milliValue();
      }
      requests.put(pod.getMetadata().getName(), sum);
    }
    return requests;
  }

  private record Ratio(double ratio, int utilization, long rawAverage) {}

  /** kube's GetResourceUtilizationRatio: usage over requests of the pods with both, against the target. */
  private static Ratio utilizationRatio(Map<String, Long> metrics, Map<String, Long> requests, int target)
      throws MetricsException {
    long usage = 0;
    long requested = 0;
    int entries = 0;
    for (Map.Entry<String, Long> e : metrics.entrySet()) {
      Long request = requests.get(e.getKey());
      if (request == null) {
        continue;
      }
      usage += e.getValue();
      requested += request;
      entries++;
    }
    if (requested == 0) {
      throw new MetricsException("no metrics returned matched known pods");
    }
    int utilization = (int) (usage * 100 / requested);
    return new Ratio((double) utilization / target, utilization, usage / entries);
  }

  private static long average(Map<String, Long> metrics) {
    long total = 0;
    for (long v : metrics.values()) {
      total += v;
    }
    return total / metrics.size();
  }
}
