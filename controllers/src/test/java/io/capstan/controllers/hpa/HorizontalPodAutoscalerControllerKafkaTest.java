package io.capstan.controllers.hpa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.Condition;
import io.capstan.api.Container;
import io.capstan.api.CrossVersionObjectReference;
import io.capstan.api.Deployment;
import io.capstan.api.DeploymentSpec;
import io.capstan.api.Event;
import io.capstan.api.HorizontalPodAutoscaler;
import io.capstan.api.HorizontalPodAutoscalerSpec;
import io.capstan.api.HorizontalPodAutoscalerStatus;
import io.capstan.api.MetricSpec;
import io.capstan.api.MetricTarget;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodCondition;
import io.capstan.api.PodStatus;
import io.capstan.api.PodTemplateSpec;
import io.capstan.api.ResourceMetricSource;
import io.capstan.api.ResourceRequirements;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.controllers.testing.Cluster;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.resourcemetrics.NodeReading.PodRef;
import io.capstan.stateviews.resourcemetrics.UsageRates.Usage;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The autoscaler loop on the real broker: it scales a Deployment up when its pods use more CPU
 * than the target, back down when they go idle, and reports ScalingActive=False with kube's
 * reason when the pods have no CPU requests. The pods' usage comes from a table the test sets
 * (the {@link PodUsage} the controller reads): this module has no node agents to scrape, and
 * the scrape itself is covered by the gateway's and ops' tests (UpTopTest, UpHpaTest).
 */
class HorizontalPodAutoscalerControllerKafkaTest {
  private static final String NS = "hpa";
  private final Map<String, Long> milliCores = new ConcurrentHashMap<>();

  private CompletableFuture<Map<PodRef, Map<String, Usage>>> usage(java.util.Collection<Pod> pods) {
    Map<PodRef, Map<String, Usage>> out = new LinkedHashMap<>();
    Instant now = Instant.now();
    for (Pod p : pods) {
      Long m = milliCores.get(p.getMetadata().getName());
      if (m != null) {
        out.put(new PodRef(p.getMetadata().getNamespace(), p.getMetadata().getName()),
            Map.of("app", new Usage(now, Duration.ofSeconds(1), m * 1_000_000, 1 << 20)));
      }
    }
    return CompletableFuture.completedFuture(out);
  }

  private static PodTemplateSpec template(Map<String, String> labels, String cpuRequest) {
    PodTemplateSpec t = Cluster.template(labels, "busybox");
    if (cpuRequest != null) {
      Container c = t.getSpec().getContainers().get(0);
      c.setResources(ResourceRequirements.newBuilder().setRequests(Map.of("cpu", cpuRequest)).build());
    }
    return t;
  }

  private static Deployment deployment(String name, String cpuRequest) {
    Map<String, String> labels = Map.of("app", name);
    return Deployment.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace(NS).setName(name).build())
        .setSpec(DeploymentSpec.newBuilder().setReplicas(1).setSelector(Cluster.selector(labels))
            .setTemplate(template(labels, cpuRequest)).build())
        .build();
  }

  private static HorizontalPodAutoscaler autoscaler(String name, String target) {
    return HorizontalPodAutoscaler.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace(NS).setName(name).build())
        .setSpec(HorizontalPodAutoscalerSpec.newBuilder()
            .setScaleTargetRef(CrossVersionObjectReference.newBuilder().setApiVersion("apps/v1").setKind("Deployment")
                .setName(target).build())
            .setMinReplicas(1).setMaxReplicas(3)
            .setMetrics(List.of(MetricSpec.newBuilder().setType("Resource").setResource(ResourceMetricSource
                .newBuilder().setName("cpu").setTarget(MetricTarget.newBuilder().setType("Utilization")
                    .setAverageUtilization(50).build()).build()).build()))
            .build())
        .build();
  }

  /** A running, ready pod of the deployment, started long enough ago that its CPU samples count. */
  private static void runningPod(Cluster cluster, Informer<Pod> pods, String name, Deployment d) throws Exception {
    Pod p = Pod.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace(NS).setName(name)
            .setLabels(d.getSpec().getTemplate().getMetadata().getLabels()).build())
        .setSpec(d.getSpec().getTemplate().getSpec()).build();
    cluster.create(p);
    Cluster.await(name + " cached", () -> pods.get(NS, name).isPresent());
    Pod running = PodTemplates.copy(pods.get(NS, name).orElseThrow());
    Instant since = Instant.now().minus(Duration.ofMinutes(10));
    running.setStatus(PodStatus.newBuilder().setPhase("Running").setStartTime(since.toString()).setConditions(List.of(
        PodCondition.newBuilder().setType("Ready").setStatus("True").setLastTransitionTime(since.toString()).build()))
        .build());
    CommandResult r = cluster.client.updateStatus(running).get(30, TimeUnit.SECONDS);
    assertTrue(r instanceof CommandResult.Accepted, String.valueOf(r));
  }

  private static Condition condition(HorizontalPodAutoscalerStatus status, String type) {
    if (status == null || status.getConditions() == null) {
      return null;
    }
    return status.getConditions().stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
  }

  private static boolean hasEvent(Informer<Event> events, String reason, String message) {
    return events.list(NS).stream().anyMatch(e -> reason.equals(e.getReason()) && e.getMessage().contains(message));
  }

  @Test
  void scalesUpOnCpuAboveTargetDownWhenIdleAndSaysWhenPodsHaveNoRequests() throws Exception {
    AutoscalerConfig config = AutoscalerConfig.defaults().withSyncPeriod(Duration.ofMillis(500))
        .withDownscaleStabilization(Duration.ZERO);
    try (Cluster cluster = new Cluster("hpa-it");
        HorizontalPodAutoscalerController hpa = new HorizontalPodAutoscalerController(cluster.informers,
            cluster.writer, this::usage, Clock.systemUTC(), config, 1, cluster.registry)) {
      Informer<Pod> pods = cluster.informers.informerFor(Kinds.POD, Pod.class);
      Informer<Deployment> deployments = cluster.informers.informerFor(Kinds.DEPLOYMENT, Deployment.class);
      Informer<HorizontalPodAutoscaler> autoscalers = cluster.informers.informerFor(Kinds.HORIZONTAL_POD_AUTOSCALER,
          HorizontalPodAutoscaler.class);
      Informer<Event> events = cluster.informers.informerFor(Kinds.EVENT, Event.class);
      cluster.startInformers();
      hpa.start();
      cluster.namespace(NS);

      Deployment web = deployment("web", "100m");
      cluster.create(web);
      runningPod(cluster, pods, "web-a", web);
      milliCores.put("web-a", 100L); // 100% of the request against a 50% target: twice the pods
      cluster.create(autoscaler("web", "web"));
      Cluster.await("web scaled to 2", () -> deployments.get(NS, "web").map(d -> d.getSpec().getReplicas() == 2)
          .orElse(false), () -> String.valueOf(autoscalers.get(NS, "web").map(HorizontalPodAutoscaler::getStatus)));
      Cluster.await("the status says so", () -> autoscalers.get(NS, "web").map(h -> h.getStatus() != null
          && h.getStatus().getDesiredReplicas() == 2 && h.getStatus().getLastScaleTime() != null).orElse(false),
          () -> String.valueOf(autoscalers.get(NS, "web").map(HorizontalPodAutoscaler::getStatus)));
      HorizontalPodAutoscalerStatus up = autoscalers.get(NS, "web").orElseThrow().getStatus();
      assertEquals(1, up.getCurrentReplicas());
      assertEquals("SucceededRescale", condition(up, "AbleToScale").getReason());
      assertEquals("the HPA controller was able to update the target scale to 2", condition(up, "AbleToScale")
          .getMessage());
      assertEquals("True", condition(up, "ScalingActive").getStatus());
      assertEquals("ValidMetricFound", condition(up, "ScalingActive").getReason());
      assertEquals("the HPA was able to successfully calculate a replica count from cpu resource utilization"
          + " (percentage of request)", condition(up, "ScalingActive").getMessage());
      assertEquals("False", condition(up, "ScalingLimited").getStatus());
      assertEquals("DesiredWithinRange", condition(up, "ScalingLimited").getReason());
      assertEquals(100, up.getCurrentMetrics().get(0).getResource().getCurrent().getAverageUtilization());
      assertEquals("100m", up.getCurrentMetrics().get(0).getResource().getCurrent().getAverageValue());
      Cluster.await("SuccessfulRescale event", () -> hasEvent(events, "SuccessfulRescale",
          "New size: 2; reason: cpu resource utilization (percentage of request) above target"));

      // The second pod comes up; both go idle: back to the minimum (no stabilization window here).
      runningPod(cluster, pods, "web-b", web);
      milliCores.put("web-b", 0L);
      milliCores.put("web-a", 0L);
      Cluster.await("web scaled back to 1", () -> deployments.get(NS, "web").map(d -> d.getSpec().getReplicas() == 1)
          .orElse(false), () -> String.valueOf(autoscalers.get(NS, "web").map(HorizontalPodAutoscaler::getStatus)));
      Cluster.await("All metrics below target", () -> hasEvent(events, "SuccessfulRescale",
          "New size: 1; reason: All metrics below target"));

      // Pods without CPU requests: nothing to take a utilization of.
      Deployment bare = deployment("bare", null);
      cluster.create(bare);
      runningPod(cluster, pods, "bare-a", bare);
      milliCores.put("bare-a", 300L);
      cluster.create(autoscaler("bare", "bare"));
      Cluster.await("ScalingActive=False", () -> "False".equals(java.util.Optional.ofNullable(
          condition(autoscalers.get(NS, "bare").map(HorizontalPodAutoscaler::getStatus).orElse(null), "ScalingActive"))
          .map(Condition::getStatus).orElse(null)),
          () -> String.valueOf(autoscalers.get(NS, "bare").map(HorizontalPodAutoscaler::getStatus)));
      Condition inactive = condition(autoscalers.get(NS, "bare").orElseThrow().getStatus(), "ScalingActive");
      assertEquals("FailedGetResourceMetric", inactive.getReason());
      assertEquals("the HPA was unable to compute the replica count: failed to get cpu utilization: missing request"
          + " for cpu in container app of Pod bare-a", inactive.getMessage());
      assertEquals("SucceededGetScale", condition(autoscalers.get(NS, "bare").orElseThrow().getStatus(),
          "AbleToScale").getReason());
      Cluster.await("FailedGetResourceMetric event", () -> hasEvent(events, "FailedGetResourceMetric",
          "failed to get cpu utilization: missing request for cpu in container app of Pod bare-a"));
      Cluster.await("FailedComputeMetricsReplicas event", () -> hasEvent(events, "FailedComputeMetricsReplicas",
          "invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: failed to get"
              + " cpu utilization: missing request for cpu in container app of Pod bare-a"));
      assertEquals(1, deployments.get(NS, "bare").orElseThrow().getSpec().getReplicas());

      // A target that does not exist: AbleToScale=False, as kube words it.
      HorizontalPodAutoscaler lost = autoscaler("lost", "nowhere");
      cluster.create(lost);
      Cluster.await("AbleToScale=False", () -> "FailedGetScale".equals(java.util.Optional.ofNullable(
          condition(autoscalers.get(NS, "lost").map(HorizontalPodAutoscaler::getStatus).orElse(null), "AbleToScale"))
          .map(Condition::getReason).orElse(null)));
      Condition noScale = condition(autoscalers.get(NS, "lost").orElseThrow().getStatus(), "AbleToScale");
      assertNotNull(noScale);
      assertEquals("the HPA controller was unable to get the target's current scale: deployments.apps \"nowhere\" not"
          + " found", noScale.getMessage());
    }
  }
}
