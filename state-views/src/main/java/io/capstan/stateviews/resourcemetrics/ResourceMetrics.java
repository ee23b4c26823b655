package io.capstan.stateviews.resourcemetrics;

import io.capstan.api.Node;
import io.capstan.api.Pod;
import io.capstan.stateviews.resourcemetrics.NodeReading.PodRef;
import io.capstan.stateviews.resourcemetrics.UsageRates.Usage;
import java.time.Clock;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What metrics-server answers, read straight from the node agents: the usage of nodes and of
 * pods' containers, rated between two scrapes of each node's {@code /metrics/resource} (see
 * {@link NodeScrapes}). A node that cannot be scraped has no usage, and neither have its pods;
 * why is logged once per node and reason, as metrics-server logs and skips it. The gateway's
 * {@code metrics.k8s.io} and the horizontal pod autoscaler read through one of these each.
 */
public final class ResourceMetrics {
  private static final Logger log = LoggerFactory.getLogger(ResourceMetrics.class);

  private final Function<String, CompletionStage<Node>> nodes;
  private final KubeletClient kubelets;
  private final NodeScrapes scrapes;
  /** The last reason each node could not be scraped, so that it is logged once. */
  private final Map<String, String> problems = new ConcurrentHashMap<>();

  /**
   * @param nodes    a Node by name (the caller's cache), failing when there is none
   * @param kubelets the client that scrapes node agents
   */
  public ResourceMetrics(Function<String, CompletionStage<Node>> nodes, KubeletClient kubelets, Clock clock) {
    this.nodes = nodes;
    this.kubelets = kubelets;
    this.scrapes = new NodeScrapes(this::scrape, clock);
  }

  /** Each named node's usage; a node without a rate (yet) is left out. */
  public CompletableFuture<Map<String, Usage>> nodeUsage(Collection<String> names) {
    Map<String, CompletableFuture<Optional<NodeScrapes.Pair>>> pairs = pairs(names);
    return CompletableFuture.allOf(pairs.values().toArray(CompletableFuture[]::new)).thenApply(v -> {
      Map<String, Usage> out = new LinkedHashMap<>();
      pairs.forEach((node, f) -> f.join().flatMap(p -> UsageRates.node(p.earlier(), p.later()))
          .ifPresent(u -> out.put(node, u)));
      return out;
    });
  }

  /**
   * The usage of each of the pods' containers, for the pods that are on a node and have a rate for
   * every container; the others are left out (metrics-server's PodMetrics has no entry for them).
   */
  public CompletableFuture<Map<PodRef, Map<String, Usage>>> podUsage(Collection<Pod> pods) {
    Set<String> nodeNames = new LinkedHashSet<>();
    for (Pod p : pods) {
      String node = nodeOf(p);
      if (node != null) {
        nodeNames.add(node);
      }
    }
    Map<String, CompletableFuture<Optional<NodeScrapes.Pair>>> pairs = pairs(nodeNames);
    return CompletableFuture.allOf(pairs.values().toArray(CompletableFuture[]::new)).thenApply(v -> {
      Map<String, Map<PodRef, Map<String, Usage>>> byNode = new HashMap<>();
      pairs.forEach((node, f) -> f.join().ifPresent(p -> byNode.put(node, UsageRates.pods(p.earlier(), p.later()))));
      Map<PodRef, Map<String, Usage>> out = new LinkedHashMap<>();
      for (Pod p : pods) {
        String node = nodeOf(p);
        PodRef ref = new PodRef(p.getMetadata().getNamespace(), p.getMetadata().getName());
        Map<String, Usage> containers = node == null ? null : byNode.getOrDefault(node, Map.of()).get(ref);
        if (containers != null && !containers.isEmpty()) {
          out.put(ref, containers);
        }
      }
      return out;
    });
  }

  /** Forgets the nodes not named (deleted ones). */
  public void retain(Set<String> names) {
    scrapes.retain(names);
  }

  private static String nodeOf(Pod p) {
    String node = p.getSpec() == null ? null : p.getSpec().getNodeName();
    return node == null || node.isEmpty() ? null : node;
  }

  /** Each node's pair of scrapes; a node that cannot be scraped has none. */
  private Map<String, CompletableFuture<Optional<NodeScrapes.Pair>>> pairs(Collection<String> names) {
    Map<String, CompletableFuture<Optional<NodeScrapes.Pair>>> out = new LinkedHashMap<>();
    for (String node : names) {
      out.put(node, scrapes.pair(node).thenApply(p -> {
        problems.remove(node);
        return Optional.of(p);
      }).exceptionally(e -> {
        String why = String.valueOf(e.getCause() != null ? e.getCause() : e);
        if (!why.equals(problems.put(node, why))) { // once per node and problem, not on every read
          log.info("resource metrics of node {} are not available: {}", node, why);
        }
        return Optional.empty();
      }));
    }
    return out;
  }

  /** One scrape of the node's agent at its daemon endpoint. */
  private CompletionStage<NodeReading> scrape(String nodeName) {
    return nodes.apply(nodeName).thenCompose(node -> {
      int port = KubeletEndpoint.port(node).orElseThrow(() -> new IllegalStateException("node " + nodeName
          + " reports no daemon endpoint (status.daemonEndpoints.kubeletEndpoint.Port): is its node agent running?"));
      return kubelets.resourceMetrics(KubeletEndpoint.address(node), port);
    });
  }
}
