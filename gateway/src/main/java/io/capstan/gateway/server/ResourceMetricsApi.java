package io.capstan.gateway.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.api.Node;
import io.capstan.api.Pod;
import io.capstan.gateway.errors.ApiException;
import io.capstan.gateway.errors.ApiStatus;
import io.capstan.gateway.resourcemetrics.MetricsJson;
import io.capstan.gateway.security.CertificateAuthority;
import io.capstan.gateway.selection.FieldSelector;
import io.capstan.gateway.selection.LabelSelector;
import io.capstan.gateway.store.ListOptions;
import io.capstan.gateway.store.ResourceStore;
import io.capstan.gateway.store.StoredObject;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.resourcemetrics.KubeletClient;
import io.capstan.stateviews.resourcemetrics.NodeReading;
import io.capstan.stateviews.resourcemetrics.ResourceMetrics;
import io.capstan.stateviews.resourcemetrics.UsageRates;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;

/**
 * {@code metrics.k8s.io/v1beta1}, what metrics-server serves and {@code kubectl top} reads:
 * {@code nodes}, {@code nodes/{name}}, {@code pods}, {@code namespaces/{ns}/pods} and {@code
 * namespaces/{ns}/pods/{name}}, get and list (with {@code labelSelector}). The usage comes from
 * the node agents' {@code /metrics/resource} (kubelet's), scraped on demand through {@link
 * ResourceMetrics} with the same client certificate as {@code pods/log}. A node or pod without two usable
 * readings is left out of a list, and is NotFound by name, as metrics-server answers.
 * Authorization is the router's, as for any resource read.
 */
final class ResourceMetricsApi implements Handler<RoutingContext> {
  static final String PREFIX = "/apis/metrics.k8s.io/v1beta1/";
  static final String GROUP = "metrics.k8s.io";

  private final ResourceStore store;
  private final Clock clock;
  private final ResourceMetrics metrics;

  ResourceMetricsApi(ResourceStore store, CertificateAuthority.ClientCertFiles kubeletClient, Clock clock) {
    this.store = store;
    this.clock = clock;
    try {
      this.metrics = new ResourceMetrics(name -> store.get(Kinds.NODE, "", name).thenApply(o -> (Node) o.object()),
          new KubeletClient(new KubeletClient.ClientCertificate(kubeletClient.cert(), kubeletClient.key()), clock),
          clock);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void handle(RoutingContext ctx) {
    String path = ctx.request().path();
    List<String> parts = List.of(path.substring(PREFIX.length()).split("/"));
    try {
      if (ctx.request().method() != HttpMethod.GET && ctx.request().method() != HttpMethod.HEAD) {
        throw new ApiException(ApiStatus.methodNotAllowed(ctx.request().method().name(), path));
      }
      String watch = ctx.request().getParam("watch");
      if (watch != null && (watch.equals("true") || watch.equals("1"))) {
        throw new ApiException(ApiStatus.methodNotAllowed("WATCH", path));
      }
      LabelSelector labels;
      try {
        labels = LabelSelector.parse(ctx.request().getParam("labelSelector"));
      } catch (IllegalArgumentException e) {
        throw new ApiException(ApiStatus.badRequest("unable to parse requirement: " + e.getMessage()));
      }
      CompletionStage<ObjectNode> answer;
      if (parts.equals(List.of("nodes"))) {
        answer = nodes(null, labels).thenApply(items -> MetricsJson.list("NodeMetricsList", items));
      } else if (parts.size() == 2 && parts.get(0).equals("nodes")) {
        answer = nodes(parts.get(1), labels).thenApply(items -> one(items, "nodemetrics", parts.get(1)));
      } else if (parts.equals(List.of("pods"))) {
        answer = pods(null, null, labels).thenApply(items -> MetricsJson.list("PodMetricsList", items));
      } else if (parts.size() == 3 && parts.get(0).equals("namespaces") && parts.get(2).equals("pods")) {
        answer = pods(parts.get(1), null, labels).thenApply(items -> MetricsJson.list("PodMetricsList", items));
      } else if (parts.size() == 4 && parts.get(0).equals("namespaces") && parts.get(2).equals("pods")) {
        answer = pods(parts.get(1), parts.get(3), labels)
            .thenApply(items -> one(items, "podmetrics", parts.get(1) + "/" + parts.get(3)));
      } else {
        throw new ApiException(ApiStatus.noSuchPath());
      }
      Future.fromCompletionStage(answer, ctx.vertx().getOrCreateContext())
          .onSuccess(body -> Responses.json(ctx, 200, body))
          .onFailure(e -> Responses.error(ctx, e instanceof java.util.concurrent.CompletionException c
              && c.getCause() != null ? c.getCause() : e));
    } catch (RuntimeException e) {
      Responses.error(ctx, e);
    }
  }

  /** The one item, or NotFound as metrics-server words it ({@code podmetrics.metrics.k8s.io "default/web" not found}). */
  private static ObjectNode one(List<ObjectNode> items, String resource, String name) {
    if (items.isEmpty()) {
      throw new ApiException(ApiStatus.notFound(GROUP, resource, name));
    }
    return items.get(0);
  }

  /** NodeMetrics of every node (or the one named) that has a rate. */
  private CompletableFuture<List<ObjectNode>> nodes(String name, LabelSelector labels) {
    return store.list(Kinds.NODE, listOptions(null, labels)).toCompletableFuture().thenCompose(list -> {
      List<Node> nodes = new ArrayList<>();
      for (StoredObject o : list.items()) {
        Node n = (Node) o.object();
        if (name == null || name.equals(n.getMetadata().getName())) {
          nodes.add(n);
        }
      }
      if (name == null) {
        metrics.retain(nodes.stream().map(n -> n.getMetadata().getName()).collect(Collectors.toSet()));
      }
      return metrics.nodeUsage(nodes.stream().map(n -> n.getMetadata().getName()).toList()).thenApply(usage -> {
        Instant now = clock.instant();
        List<ObjectNode> out = new ArrayList<>();
        for (Node n : nodes) {
          UsageRates.Usage u = usage.get(n.getMetadata().getName());
          if (u != null) {
            out.add(MetricsJson.node(new MetricsJson.NodeMetrics(n.getMetadata().getName(),
                n.getMetadata().getLabels(), u), now));
          }
        }
        return out;
      });
    });
  }

  /** PodMetrics of the pods of a namespace (every namespace when null), or of the one named, that have rates. */
  private CompletableFuture<List<ObjectNode>> pods(String namespace, String name, LabelSelector labels) {
    CompletableFuture<List<Pod>> pods = name != null
        ? store.get(Kinds.POD, namespace, name).toCompletableFuture().thenApply(o -> List.of((Pod) o.object()))
        : store.list(Kinds.POD, listOptions(namespace, labels)).toCompletableFuture()
            .thenApply(l -> l.items().stream().map(o -> (Pod) o.object()).toList());
    return pods.thenCompose(list -> metrics.podUsage(list).thenApply(usage -> {
      Instant now = clock.instant();
      List<ObjectNode> out = new ArrayList<>();
      for (Pod p : list) {
        Map<String, UsageRates.Usage> containers = usage.get(
            new NodeReading.PodRef(p.getMetadata().getNamespace(), p.getMetadata().getName()));
        if (containers != null) {
          out.add(MetricsJson.pod(new MetricsJson.PodMetrics(p.getMetadata().getNamespace(), p.getMetadata().getName(),
              p.getMetadata().getLabels(), new LinkedHashMap<>(containers)), now));
        }
      }
      return out;
    })).exceptionally(e -> {
      Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
      if (name != null && cause instanceof ApiException a && a.status().code() == 404) {
        return List.of(); // the pod itself is missing: NotFound for its metrics
      }
      throw e instanceof RuntimeException r ? r : new java.util.concurrent.CompletionException(e);
    });
  }

  private static ListOptions listOptions(String namespace, LabelSelector labels) {
    return new ListOptions(namespace, labels, FieldSelector.EVERYTHING, 0, null, null, null);
  }
}
