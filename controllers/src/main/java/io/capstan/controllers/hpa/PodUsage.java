package io.capstan.controllers.hpa;

import io.capstan.api.Pod;
import io.capstan.stateviews.resourcemetrics.NodeReading.PodRef;
import io.capstan.stateviews.resourcemetrics.UsageRates.Usage;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Where the autoscaler reads its pods' resource usage: the resource metrics API's PodMetrics, each
 * pod's containers' usage over a window (in a cluster, {@link
 * io.capstan.stateviews.resourcemetrics.ResourceMetrics}, scraping the node agents). Pods without
 * a usage are left out.
 */
@FunctionalInterface
public interface PodUsage {
  CompletableFuture<Map<PodRef, Map<String, Usage>>> of(Collection<Pod> pods);
}
