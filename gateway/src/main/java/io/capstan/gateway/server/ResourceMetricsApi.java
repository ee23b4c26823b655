package io.capstan.gateway.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.api.Node;
import io.capstan.api.Pod;
import io.capstan.gateway.errors.ApiException;
import io.capstan.gateway.errors.ApiStatus;
import io.capstan.gateway.resourcemetrics.MetricsJson;
import io.capstan.gateway.resourcemetrics.NodeReading;
import io.capstan.gateway.resourcemetrics.NodeScrapes;
import io.capstan.gateway.resourcemetrics.UsageRates;
import io.capstan.gateway.security.CertificateAuthority;
import io.capstan.gateway.selection.FieldSelector;
import io.capstan.gateway.selection.LabelSelector;
import io.capstan.gateway.store.ListOptions;
import io.capstan.gateway.store.ResourceStore;
import io.capstan.gateway.store.StoredObject;
import io.capstan.logschema.kinds.Kinds;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code metrics.k8s.io/v1beta1}, what metrics-server serves and {@code kubectl top} reads:
 * {@code nodes}, {@code nodes/{name}}, {@code pods}, {@code namespaces/{ns}/pods} and {@code
 * namespaces/{ns}/pods/{name}}, get and list (with {@code labelSelector}). The usage comes from
 * the node agents' {@code /metrics/resource} (kubelet's), scraped on demand through {@link
 * NodeScrapes} over the same mutual TLS as {@code pods/log}. A node or pod without two usable
 * readings is left out of a list, and is NotFound by name, as metrics-server answers.
 * Authorization is the router's, as for any resource read.
 */
final class ResourceMetricsApi implements Handler<RoutingContext> {
  private static final Logger log = LoggerFactory.getLogger(ResourceMetricsApi.class);
  static final String PREFIX = "/apis/metrics.k8s.io/v1beta1/";
  static final String GROUP = "metrics.k8s.io";
  private static final int TIMEOUT_MS = 10_000;

  private final ResourceStore store;
  private final CertificateAuthority.ClientCertFiles kubeletClient;
  private final Clock clock;
  private final NodeScrapes scrapes;
  /** The last reason each node could not be scraped, so that it is logged once. */
  private final Map<String, String> problems = new java.util.concurrent.ConcurrentHashMap<>();
  private volatile Vertx vertx;
  private HttpClient client;

  ResourceMetricsApi(ResourceStore store, CertificateAuthority.ClientCertFiles kubeletClient, Clock clock) {
    this.store = store;
    this.kubeletClient = kubeletClient;
    this.clock = clock;
    this.scrapes = new NodeScrapes(this::scrape, clock);
  }

  @Override
  public void handle(RoutingContext ctx) {
    vertx = ctx.vertx();
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
        scrapes.retain(nodes.stream().map(n -> n.getMetadata().getName()).collect(java.util.stream.Collectors.toSet()));
      }
      Map<String, CompletableFuture<Optional<NodeScrapes.Pair>>> pairs = pairs(
          nodes.stream().map(n -> n.getMetadata().getName()).toList());
      return CompletableFuture.allOf(pairs.values().toArray(CompletableFuture[]::new)).thenApply(v -> {
        Instant now = clock.instant();
        List<ObjectNode> out = new ArrayList<>();
        for (Node n : nodes) {
          pairs.get(n.getMetadata().getName()).join()
              .flatMap(p -> UsageRates.node(p.earlier(), p.later()))
              .ifPresent(u -> out.add(MetricsJson.node(new MetricsJson.NodeMetrics(n.getMetadata().getName(),
                  n.getMetadata().getLabels(), u), now)));
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
    return pods.thenCompose(list -> {
      Set<String> nodeNames = new LinkedHashSet<>();
      for (Pod p : list) {
        String node = p.getSpec() == null ? null : p.getSpec().getNodeName();
        if (node != null && !node.isEmpty()) {
          nodeNames.add(node);
        }
      }
      Map<String, CompletableFuture<Optional<NodeScrapes.Pair>>> pairs = pairs(List.copyOf(nodeNames));
      return CompletableFuture.allOf(pairs.values().toArray(CompletableFuture[]::new)).thenApply(v -> {
        Map<String, Map<NodeReading.PodRef, Map<String, UsageRates.Usage>>> byNode = new HashMap<>();
        pairs.forEach((node, f) -> f.join().ifPresent(p -> byNode.put(node, UsageRates.pods(p.earlier(), p.later()))));
        Instant now = clock.instant();
        List<ObjectNode> out = new ArrayList<>();
        for (Pod p : list) {
          String node = p.getSpec() == null ? null : p.getSpec().getNodeName();
          Map<String, UsageRates.Usage> containers = node == null ? null : byNode.getOrDefault(node, Map.of())
              .get(new NodeReading.PodRef(p.getMetadata().getNamespace(), p.getMetadata().getName()));
          if (containers != null && !containers.isEmpty()) {
            out.add(MetricsJson.pod(new MetricsJson.PodMetrics(p.getMetadata().getNamespace(), p.getMetadata().getName(),
                p.getMetadata().getLabels(), new LinkedHashMap<>(containers)), now));
          }
        }
        return out;
      });
    }).exceptionally(e -> {
      Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
      if (name != null && cause instanceof ApiException a && a.status().code() == 404) {
        return List.of(); // the pod itself is missing: NotFound for its metrics
      }
      throw e instanceof RuntimeException r ? r : new java.util.concurrent.CompletionException(e);
    });
  }

  /** Each node's pair of scrapes; a node that cannot be scraped has none (metrics-server logs and skips it). */
  private Map<String, CompletableFuture<Optional<NodeScrapes.Pair>>> pairs(List<String> nodes) {
    Map<String, CompletableFuture<Optional<NodeScrapes.Pair>>> out = new LinkedHashMap<>();
    for (String node : nodes) {
      out.put(node, scrapes.pair(node).thenApply(p -> {
        problems.remove(node);
        return Optional.of(p);
      }).exceptionally(e -> {
        String why = String.valueOf(e.getCause() != null ? e.getCause() : e);
        if (!why.equals(problems.put(node, why))) { // once per node and problem, not on every kubectl top
          log.info("resource metrics of node {} are not available: {}", node, why);
        }
        return Optional.empty();
      }));
    }
    return out;
  }

  /** One scrape of the node's agent: {@code GET /metrics/resource} at its daemon endpoint. */
  private CompletionStage<NodeReading> scrape(String nodeName) {
    return store.get(Kinds.NODE, "", nodeName).toCompletableFuture().thenCompose(stored -> {
      Node node = (Node) stored.object();
      String host = PodLogProxy.address(node);
      int port = PodLogProxy.port(node);
      RequestOptions req = new RequestOptions().setMethod(HttpMethod.GET).setHost(host).setPort(port)
          .setURI("/metrics/resource").setConnectTimeout(TIMEOUT_MS).setIdleTimeout(TIMEOUT_MS);
      Instant at = clock.instant();
      return client().request(req).compose(r -> r.send()).compose(resp -> resp.body().map(body -> {
        if (resp.statusCode() != 200) {
          throw new IllegalStateException("the node agent at " + host + ":" + port + " answered " + resp.statusCode()
              + ": " + body.toString().strip());
        }
        return NodeReading.parse(body.toString(), at);
      })).toCompletionStage();
    });
  }

  private synchronized HttpClient client() {
    if (client == null) {
      client = vertx.createHttpClient(new HttpClientOptions().setSsl(true).setTrustAll(true).setVerifyHost(false)
          .setKeyCertOptions(new PemKeyCertOptions().setCertPath(kubeletClient.cert().toString())
              .setKeyPath(kubeletClient.key().toString())));
    }
    return client;
  }

  private static ListOptions listOptions(String namespace, LabelSelector labels) {
    return new ListOptions(namespace, labels, FieldSelector.EVERYTHING, 0, null, null, null);
  }
}
