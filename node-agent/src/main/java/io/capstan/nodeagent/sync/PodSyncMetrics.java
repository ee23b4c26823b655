package io.capstan.nodeagent.sync;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * The series of pod sync loops. A node agent has its own, tagged with its node; the loops of a
 * hollow fleet share one set (tagged with the fleet's name pattern, e.g. {@code hollow-*}), so a
 * thousand hollow nodes cost one histogram, not a thousand.
 *
 * @param registry  where per-node gauges (pods, running containers) go; null: none (a fleet
 *                  counts them for all its nodes instead)
 * @param node      the {@code node} tag of the gauges
 */
public record PodSyncMetrics(Timer syncDuration, Counter syncErrors, Timer podStart, Counter restarts,
    MeterRegistry registry, String node) {

  /** One node's series, with per-node gauges. */
  public static PodSyncMetrics forNode(MeterRegistry registry, String node) {
    return build(registry, node, registry);
  }

  /** Series shared by many loops (tag {@code node=<seriesNode>}), without per-node gauges. */
  public static PodSyncMetrics shared(MeterRegistry registry, String seriesNode) {
    return build(registry, seriesNode, null);
  }

  private static PodSyncMetrics build(MeterRegistry registry, String node, MeterRegistry gauges) {
    return new PodSyncMetrics(
        Timer.builder("capstan_node_agent_pod_sync_seconds").description("Duration of one pod sync")
            .tag("node", node).register(registry),
        Counter.builder("capstan_node_agent_pod_sync_errors_total").tag("node", node).register(registry),
        Timer.builder("capstan_pod_start_duration_seconds")
            .description("From the pod's creation to all its containers running, as seen by the node (kubelet's SLI)")
            .publishPercentileHistogram().tag("node", node).register(registry),
        Counter.builder("capstan_node_agent_container_restarts_total").tag("node", node).register(registry),
        gauges, node);
  }
}
