package io.capstan.controllers.hpa;

import io.capstan.api.Condition;
import io.capstan.api.CrossVersionObjectReference;
import io.capstan.api.Deployment;
import io.capstan.api.HorizontalPodAutoscaler;
import io.capstan.api.HorizontalPodAutoscalerSpec;
import io.capstan.api.HorizontalPodAutoscalerStatus;
import io.capstan.api.LabelSelector;
import io.capstan.api.MetricSpec;
import io.capstan.api.MetricStatus;
import io.capstan.api.MetricTarget;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.ReplicaSet;
import io.capstan.api.ResourceMetricSource;
import io.capstan.api.StatefulSet;
import io.capstan.controllers.hpa.ReplicaCalculator.PodMetric;
import io.capstan.controllers.runtime.Controller;
import io.capstan.controllers.runtime.EventRecorder;
import io.capstan.controllers.runtime.ObjectWriter;
import io.capstan.controllers.runtime.OwnerRefs;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.controllers.runtime.ReconcileResult;
import io.capstan.controllers.runtime.Selectors;
import io.capstan.controllers.runtime.ShardAssignment;
import io.capstan.controllers.runtime.WorkQueue;
import io.capstan.controllers.runtime.WriteRejectedException;
import io.capstan.logschema.defaults.AutoscalerDefaults;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.ResourceEventHandler;
import io.capstan.stateviews.informer.SharedInformers;
import io.capstan.stateviews.resourcemetrics.NodeReading.PodRef;
import io.capstan.stateviews.resourcemetrics.UsageRates.Usage;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.apache.avro.specific.SpecificRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * kube-controller-manager's horizontal pod autoscaler: every sync period each autoscaler reads its
 * target's scale (a Deployment's, ReplicaSet's or StatefulSet's replicas and selector), the
 * usage of the target's pods from the resource metrics API, proposes a replica count per metric
 * (the largest wins), stabilizes and bounds it ({@link ScaleNormalizer}), writes the target's
 * {@code spec.replicas} when it changes, and writes its status: current and desired replicas,
 * current metrics, last scale time and the AbleToScale, ScalingActive and ScalingLimited
 * conditions, with kube's reasons, messages and events ({@code SuccessfulRescale},
 * {@code FailedGetResourceMetric}, {@code FailedComputeMetricsReplicas}, {@code FailedGetScale},
 * {@code FailedRescale}). Resource and ContainerResource metrics are measured (there is no custom
 * or external metrics API); other metric types report that they cannot be read.
 */
public final class HorizontalPodAutoscalerController implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HorizontalPodAutoscalerController.class);
  public static final String NAME = "horizontal-pod-autoscaler";
  private static final long METRICS_TIMEOUT_SECONDS = 30;

  private final Informer<HorizontalPodAutoscaler> autoscalers;
  private final Informer<Pod> pods;
  private final Informer<Deployment> deployments;
  private final Informer<ReplicaSet> replicaSets;
  private final Informer<StatefulSet> statefulSets;
  private final ObjectWriter writer;
  private final EventRecorder events;
  private final PodUsage usage;
  private final Clock clock;
  private final AutoscalerConfig config;
  private final ResourceMetricEvaluator evaluator = new ResourceMetricEvaluator(ReplicaCalculator.standard());
  private final WorkQueue queue;
  private final Controller controller;
  /** Each autoscaler's recommendations and scale events, as kube's controller keeps them in memory. */
  private final Map<String, ScaleNormalizer> normalizers = new ConcurrentHashMap<>();
  /** The last Warning each autoscaler recorded, so that a steady failure is one event, not one per sync. */
  private final Map<String, String> lastWarning = new ConcurrentHashMap<>();

  public HorizontalPodAutoscalerController(SharedInformers informers, ObjectWriter writer, PodUsage usage, Clock clock,
      AutoscalerConfig config, int workers, MeterRegistry registry) {
    this.autoscalers = informers.informerFor(Kinds.HORIZONTAL_POD_AUTOSCALER, HorizontalPodAutoscaler.class);
    this.pods = informers.informerFor(Kinds.POD, Pod.class);
    this.deployments = informers.informerFor(Kinds.DEPLOYMENT, Deployment.class);
    this.replicaSets = informers.informerFor(Kinds.REPLICA_SET, ReplicaSet.class);
    this.statefulSets = informers.informerFor(Kinds.STATEFUL_SET, StatefulSet.class);
    this.writer = Objects.requireNonNull(writer, "writer");
    this.usage = Objects.requireNonNull(usage, "usage");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.config = Objects.requireNonNull(config, "config");
    this.events = new EventRecorder(writer, NAME, clock);
    this.queue = WorkQueue.withDefaultRateLimiter(NAME, registry);
    this.controller = new Controller(NAME, queue, this::reconcile, workers, registry);
  }

  public void shardBy(ShardAssignment shard) {
    controller.shardBy(shard, autoscalers::keys);
  }

  public void start() {
    log.info("horizontal pod autoscaler starting: sync period {}, downscale stabilization {}", config.syncPeriod(),
        config.downscaleStabilization());
    autoscalers.addHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(HorizontalPodAutoscaler hpa) {
        queue.add(key(hpa));
      }

      @Override
      public void onUpdate(HorizontalPodAutoscaler old, HorizontalPodAutoscaler hpa) {
        // A spec change is acted on at once; the controller's own status writes wait for the next sync.
        if (!Objects.equals(old.getMetadata().getGeneration(), hpa.getMetadata().getGeneration())) {
          queue.add(key(hpa));
        }
      }

      @Override
      public void onDelete(HorizontalPodAutoscaler hpa) {
        normalizers.remove(key(hpa));
        lastWarning.remove(key(hpa));
      }
    });
    controller.start();
  }

  @Override
  public void close() {
    controller.close();
  }

  static String key(HorizontalPodAutoscaler hpa) {
    return OwnerRefs.key(Kinds.HORIZONTAL_POD_AUTOSCALER, hpa.getMetadata());
  }

  /** A target's scale subresource: its replicas, its pods' selector, and the object with other replicas. */
  private record Scale(Kind kind, int replicas, LabelSelector selector, IntFunction<SpecificRecord> withReplicas) {}

  /** Why the target's scale could not be read, in kube's words. */
  private static final class NoScale extends Exception {
    NoScale(String message) {
      super(message);
    }
  }

  ReconcileResult reconcile(String key) throws Exception {
    String[] parts = key.split("/", 3);
    Optional<HorizontalPodAutoscaler> found = autoscalers.get(parts[1], parts[2]);
    if (found.isEmpty() || found.get().getMetadata().getDeletionTimestamp() != null) {
      normalizers.remove(key);
      lastWarning.remove(key);
      return ReconcileResult.done();
    }
    HorizontalPodAutoscaler hpa = found.get();
    HorizontalPodAutoscalerSpec spec = hpa.getSpec();
    Instant now = clock.instant();
    HorizontalPodAutoscalerStatus original = hpa.getStatus();
    HorizontalPodAutoscalerStatus status = original == null ? HorizontalPodAutoscalerStatus.newBuilder().build()
        : PodTemplates.copy(original);
    Conditions conditions = new Conditions(status.getConditions(), now);

    Scale scale;
    try {
      scale = scaleOf(hpa.getMetadata().getNamespace(), spec.getScaleTargetRef());
    } catch (NoScale e) {
      warn(key, hpa, "FailedGetScale", e.getMessage());
      conditions.set("AbleToScale", "False", "FailedGetScale",
          "the HPA controller was unable to get the target's current scale: " + e.getMessage());
      status.setConditions(conditions.list());
      writeStatus(hpa, original, status);
      return ReconcileResult.requeueAfter(config.syncPeriod());
    }
    conditions.set("AbleToScale", "True", "SucceededGetScale",
        "the HPA controller was able to get the target's current scale");

    int current = scale.replicas();
    int min = spec.getMinReplicas() == null ? 1 : spec.getMinReplicas();
    int max = spec.getMaxReplicas();
    int desired = 0;
    String rescaleReason = "";
    boolean rescale = true;
    List<MetricStatus> metricStatuses = null;
    if (current == 0 && min != 0) {
      rescale = false;
      conditions.set("ScalingActive", "False", "ScalingDisabled",
          "scaling is disabled since the replica count of the target is zero");
    } else if (current > max) {
      rescaleReason = "Current number of replicas above Spec.MaxReplicas";
      desired = max;
    } else if (current < min) {
      rescaleReason = "Current number of replicas below Spec.MinReplicas";
      desired = min;
    } else {
      Proposals proposals = proposals(key, hpa, scale, conditions, now);
      metricStatuses = proposals.statuses().isEmpty() ? null : proposals.statuses();
      if (proposals.replicas() < 0) {
        status.setCurrentReplicas(current);
        status.setCurrentMetrics(metricStatuses);
        status.setConditions(conditions.list());
        warn(key, hpa, "FailedComputeMetricsReplicas", proposals.error());
        writeStatus(hpa, original, status);
        return ReconcileResult.requeueAfter(config.syncPeriod());
      }
      desired = proposals.replicas();
      if (desired > current) {
        rescaleReason = proposals.metricName() + " above target";
      } else if (desired < current) {
        rescaleReason = "All metrics below target";
      }
      ScaleNormalizer.Result normalized = normalizer(key).normalize(spec.getBehavior(), current, desired, min, max, now);
      conditions.set("AbleToScale", normalized.ableToScale());
      conditions.set("ScalingLimited", normalized.scalingLimited());
      desired = normalized.replicas();
      rescale = desired != current;
    }

    if (rescale) {
      try {
        writer.update(scale.withReplicas().apply(desired));
      } catch (WriteRejectedException e) {
        if (e.isConflict()) {
          throw e; // the target changed under us: decide again on the newer scale
        }
        String why = e.status() == null ? e.getMessage() : e.status().getMessage();
        events.warning(Kinds.HORIZONTAL_POD_AUTOSCALER, hpa.getMetadata(), "FailedRescale",
            "New size: " + desired + "; reason: " + rescaleReason + "; error: " + why);
        conditions.set("AbleToScale", "False", "FailedUpdateScale",
            "the HPA controller was unable to update the target scale: " + why);
        status.setCurrentReplicas(current);
        status.setCurrentMetrics(metricStatuses);
        status.setConditions(conditions.list());
        writeStatus(hpa, original, status);
        return ReconcileResult.requeueAfter(config.syncPeriod());
      }
      conditions.set("AbleToScale", "True", "SucceededRescale",
          "the HPA controller was able to update the target scale to " + desired);
      events.normal(Kinds.HORIZONTAL_POD_AUTOSCALER, hpa.getMetadata(), "SuccessfulRescale",
          "New size: " + desired + "; reason: " + rescaleReason);
      normalizer(key).scaled(spec.getBehavior(), current, desired, now);
      log.info("{}: scaled {} {} from {} to {}: {}", key, scale.kind().kind(), spec.getScaleTargetRef().getName(),
          current, desired, rescaleReason);
      status.setLastScaleTime(now.toString());
    } else {
      desired = current;
    }
    status.setCurrentReplicas(current);
    status.setDesiredReplicas(desired);
    status.setCurrentMetrics(metricStatuses);
    status.setConditions(conditions.list());
    writeStatus(hpa, original, status);
    return ReconcileResult.requeueAfter(config.syncPeriod());
  }

  private ScaleNormalizer normalizer(String key) {
    return normalizers.computeIfAbsent(key, k -> new ScaleNormalizer(config.downscaleStabilization()));
  }

  /** Writes the status when it changed; a conflict (our cache is behind) retries with backoff. */
  private void writeStatus(HorizontalPodAutoscaler hpa, HorizontalPodAutoscalerStatus original,
      HorizontalPodAutoscalerStatus status) throws Exception {
    if (status.equals(original)) {
      return;
    }
    HorizontalPodAutoscaler updated = PodTemplates.copy(hpa);
    updated.setStatus(status);
    try {
      writer.updateStatus(updated);
    } catch (WriteRejectedException e) {
      if (!e.isNotFound()) {
        throw e;
      }
    }
  }

  /** A Warning event, unless it repeats the last one recorded for this autoscaler. */
  private void warn(String key, HorizontalPodAutoscaler hpa, String reason, String message) {
    if (!(reason + ": " + message).equals(lastWarning.put(key, reason + ": " + message))) {
      events.warning(Kinds.HORIZONTAL_POD_AUTOSCALER, hpa.getMetadata(), reason, message);
    }
  }

  /** The target's scale, as the scale subresource of its kind serves it. */
  private Scale scaleOf(String namespace, CrossVersionObjectReference ref) throws NoScale {
    String group = groupOf(ref.getApiVersion());
    String name = ref.getName();
    switch (group + "/" + ref.getKind()) {
      case "apps/Deployment" -> {
        Deployment d = deployments.get(namespace, name).orElseThrow(() -> notFound(Kinds.DEPLOYMENT, name));
        return new Scale(Kinds.DEPLOYMENT, replicas(d.getSpec().getReplicas()), d.getSpec().getSelector(), n -> {
          Deployment copy = PodTemplates.copy(d);
          copy.getSpec().setReplicas(n);
          return copy;
        });
      }
      case "apps/ReplicaSet" -> {
        ReplicaSet rs = replicaSets.get(namespace, name).orElseThrow(() -> notFound(Kinds.REPLICA_SET, name));
        return new Scale(Kinds.REPLICA_SET, replicas(rs.getSpec().getReplicas()), rs.getSpec().getSelector(), n -> {
          ReplicaSet copy = PodTemplates.copy(rs);
          copy.getSpec().setReplicas(n);
          return copy;
        });
      }
      case "apps/StatefulSet" -> {
        StatefulSet s = statefulSets.get(namespace, name).orElseThrow(() -> notFound(Kinds.STATEFUL_SET, name));
        return new Scale(Kinds.STATEFUL_SET, replicas(s.getSpec().getReplicas()), s.getSpec().getSelector(), n -> {
          StatefulSet copy = PodTemplates.copy(s);
          copy.getSpec().setReplicas(n);
          return copy;
        });
      }
      default -> throw new NoScale("unable to determine resource for scale target reference: no matches for kind \""
          + ref.getKind() + "\" in group \"" + group + "\"");
    }
  }

  private static int replicas(Integer specReplicas) {
    return specReplicas == null ? 1 : specReplicas;
  }

  private static NoScale notFound(Kind kind, String name) {
    return new NoScale(kind.plural() + "." + kind.group() + " \"" + name + "\" not found");
  }

  /** The group of an apiVersion ({@code apps/v1} → {@code apps}, {@code v1} → the core group). */
  private static String groupOf(String apiVersion) {
    if (apiVersion == null || !apiVersion.contains("/")) {
      return "";
    }
    return apiVersion.substring(0, apiVersion.indexOf('/'));
  }

  /**
   * The metrics' proposal: the largest replica count any metric asks for, with its name, and each
   * metric's status; {@code replicas} -1 when no metric could be computed ({@code error} says why).
   */
  private record Proposals(int replicas, String metricName, List<MetricStatus> statuses, String error) {}

  /** kube's computeReplicasForMetrics. */
  private Proposals proposals(String key, HorizontalPodAutoscaler hpa, Scale scale, Conditions conditions,
      Instant now) {
    if (scale.selector() == null || Selectors.isEmpty(scale.selector())) {
      warn(key, hpa, "SelectorRequired", "selector is required");
      conditions.set("ScalingActive", "False", "InvalidSelector", "the HPA target's scale is missing a selector");
      return new Proposals(-1, "", List.of(), "selector is required");
    }
    String namespace = hpa.getMetadata().getNamespace();
    List<Pod> selected = pods.list(namespace).stream()
        .filter(p -> Selectors.matches(scale.selector(), p.getMetadata().getLabels())).toList();
    List<MetricSpec> metrics = hpa.getSpec().getMetrics() == null || hpa.getSpec().getMetrics().isEmpty()
        ? List.of(defaultCpuMetric()) : hpa.getSpec().getMetrics();
    Map<PodRef, Map<String, Usage>> measured = null;
    int replicas = -1;
    String metricName = "";
    List<MetricStatus> statuses = new ArrayList<>();
    int invalid = 0;
    ResourceMetricEvaluator.Failure firstFailure = null;
    String firstError = null;
    for (MetricSpec metric : metrics) {
      try {
        ResourceMetricEvaluator.Proposal p;
        if (("Resource".equals(metric.getType()) && metric.getResource() != null)
            || ("ContainerResource".equals(metric.getType()) && metric.getContainerResource() != null)) {
          if (measured == null) {
            measured = measure(selected);
          }
          p = evaluate(metric, scale.replicas(), selected, measured, now);
        } else {
          throw unsupported(metric);
        }
        statuses.add(p.status());
        if (replicas == -1 || p.replicas() > replicas) {
          replicas = p.replicas();
          metricName = p.metricName();
        }
      } catch (ResourceMetricEvaluator.Failure f) {
        invalid++;
        warn(key, hpa, f.reason(), f.getMessage());
        if (firstFailure == null) {
          firstFailure = f;
          firstError = "failed to get " + metricLabel(metric) + " metric value: " + f.getMessage();
        }
      }
    }
    if (invalid >= metrics.size()) {
      conditions.set("ScalingActive", "False", firstFailure.reason(), firstFailure.conditionMessage());
      return new Proposals(-1, "", statuses, "invalid metrics (" + invalid + " invalid out of " + metrics.size()
          + "), first error is: " + firstError);
    }
    conditions.set("ScalingActive", "True", "ValidMetricFound",
        "the HPA was able to successfully calculate a replica count from " + metricName);
    return new Proposals(replicas, metricName, statuses, null);
  }

  /**
   * One Resource metric: the pods' usage of the resource in milli-units, summed over each pod's
   * containers; of a ContainerResource metric, the named container's (a pod without it has no sample).
   */
  private ResourceMetricEvaluator.Proposal evaluate(MetricSpec metric, int current, List<Pod> selected,
      Map<PodRef, Map<String, Usage>> measured, Instant now) throws ResourceMetricEvaluator.Failure {
    boolean ofContainer = metric.getContainerResource() != null && "ContainerResource".equals(metric.getType());
    String resource = ofContainer ? metric.getContainerResource().getName() : metric.getResource().getName();
    String container = ofContainer ? metric.getContainerResource().getContainer() : null;
    MetricTarget target = ofContainer ? metric.getContainerResource().getTarget() : metric.getResource().getTarget();
    String reason = ofContainer ? "FailedGetContainerResourceMetric" : "FailedGetResourceMetric";
    Map<String, PodMetric> samples = new HashMap<>();
    measured.forEach((pod, containers) -> {
      long milli = 0;
      Instant timestamp = null;
      java.time.Duration window = null;
      for (Map.Entry<String, Usage> c : containers.entrySet()) {
        if (container != null && !container.equals(c.getKey())) {
          continue;
        }
        Usage u = c.getValue();
        milli += "cpu".equals(resource) ? u.cpuNanoCores() / 1_000_000 : u.memoryBytes() * 1000;
        timestamp = u.timestamp();
        window = u.window();
      }
      if (timestamp != null) {
        samples.put(pod.name(), new PodMetric(milli, timestamp, window));
      }
    });
    String what = target != null && target.getAverageValue() != null ? "usage" : "utilization";
    if (!"cpu".equals(resource) && !"memory".equals(resource) || samples.isEmpty()) {
      throw new ResourceMetricEvaluator.Failure(reason, "failed to get " + resource + " " + what
          + ": unable to get metrics for resource " + resource + ": no metrics returned from resource metrics API");
    }
    return evaluator.evaluate(metric, current, selected, samples, now);
  }

  /** The selected pods' usage, from the resource metrics API; none when it cannot be read. */
  private Map<PodRef, Map<String, Usage>> measure(List<Pod> selected) {
    if (selected.isEmpty()) {
      return Map.of();
    }
    try {
      return usage.of(selected).get(METRICS_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Map.of();
    } catch (Exception e) {
      log.info("resource metrics of {} pods not available: {}", selected.size(), e.toString());
      return Map.of();
    }
  }

  private static ResourceMetricEvaluator.Failure unsupported(MetricSpec metric) {
    String type = metric.getType();
    return switch (type) {
      case "Pods", "Object" -> new ResourceMetricEvaluator.Failure("FailedGet" + type + "Metric",
          "unable to get metric " + metricLabel(metric) + ": unable to fetch metrics from custom metrics API: no custom"
              + " metrics API (custom.metrics.k8s.io) registered");
      case "External" -> new ResourceMetricEvaluator.Failure("FailedGetExternalMetric",
          "unable to get external metric " + metricLabel(metric) + ": unable to fetch metrics from external metrics API:"
              + " no external metrics API (external.metrics.k8s.io) registered");
      default -> new ResourceMetricEvaluator.Failure("InvalidMetricSourceType",
          "unknown metric source type \"" + type + "\"");
    };
  }

  private static String metricLabel(MetricSpec metric) {
    if (metric.getResource() != null) {
      return metric.getResource().getName() + " resource";
    }
    if (metric.getPods() != null && metric.getPods().getMetric() != null) {
      return metric.getPods().getMetric().getName();
    }
    if (metric.getObject() != null && metric.getObject().getMetric() != null) {
      return metric.getObject().getMetric().getName();
    }
    if (metric.getExternal() != null && metric.getExternal().getMetric() != null) {
      return metric.getExternal().getMetric().getName();
    }
    if (metric.getContainerResource() != null) {
      return metric.getContainerResource().getName() + " container";
    }
    return metric.getType();
  }

  /** kube's default when an autoscaler names no metric: 80% average CPU utilization. */
  private static MetricSpec defaultCpuMetric() {
    return MetricSpec.newBuilder().setType("Resource").setResource(ResourceMetricSource.newBuilder().setName("cpu")
        .setTarget(MetricTarget.newBuilder().setType("Utilization")
            .setAverageUtilization(AutoscalerDefaults.DEFAULT_CPU_UTILIZATION).build()).build()).build();
  }

  /** The status conditions as kube's setCondition keeps them: by type, the transition time moved only when the status changes. */
  private static final class Conditions {
    private final List<Condition> list;
    private final Instant now;

    Conditions(List<Condition> existing, Instant now) {
      this.list = existing == null ? new ArrayList<>() : new ArrayList<>(existing);
      this.now = now;
    }

    void set(String type, ScaleNormalizer.Condition c) {
      set(type, c.status(), c.reason(), c.message());
    }

    void set(String type, String status, String reason, String message) {
      for (int i = 0; i < list.size(); i++) {
        Condition c = list.get(i);
        if (type.equals(c.getType())) {
          list.set(i, Condition.newBuilder(c).setStatus(status).setReason(reason).setMessage(message)
              .setLastTransitionTime(status.equals(c.getStatus()) && c.getLastTransitionTime() != null
                  ? c.getLastTransitionTime() : now.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString())
              .build());
          return;
        }
      }
      list.add(Condition.newBuilder().setType(type).setStatus(status).setReason(reason).setMessage(message)
          .setLastTransitionTime(now.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString()).build());
    }

    List<Condition> list() {
      return List.copyOf(list);
    }
  }
}
