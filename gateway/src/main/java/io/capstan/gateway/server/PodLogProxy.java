package io.capstan.gateway.server;

import io.capstan.api.Container;
import io.capstan.api.Node;
import io.capstan.api.Pod;
import io.capstan.gateway.errors.ApiException;
import io.capstan.gateway.errors.ApiStatus;
import io.capstan.gateway.security.CertificateAuthority;
import io.capstan.gateway.store.ResourceStore;
import io.capstan.gateway.store.StoredObject;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.pods.EphemeralContainers;
import io.capstan.stateviews.resourcemetrics.KubeletEndpoint;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.RoutingContext;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.StringJoiner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code pods/log}: finds the node running the pod and streams the container's log from that
 * node agent's {@code /containerLogs/{namespace}/{pod}/{container}}, as kube-apiserver proxies
 * to the kubelet (at the node's address and {@code status.daemonEndpoints.kubeletEndpoint.Port}).
 * With {@code follow=true} the stream stays open until either side closes it.
 *
 * <p>The connection is HTTPS with the gateway's client certificate ({@code
 * apiserver-kubelet-client}, issued by the cluster CA), which the agent checks. The agent's own
 * certificate is self-signed and not verified, as kube-apiserver does not verify kubelets unless
 * given {@code --kubelet-certificate-authority}. The agent's log server listens on loopback
 * unless told otherwise, so a node whose address is one of this machine's is reached on 127.0.0.1.
 */
final class PodLogProxy {
  private static final Logger log = LoggerFactory.getLogger(PodLogProxy.class);
  /** The query parameters kubelet's log endpoint takes (PodLogOptions). */
  private static final List<String> PASSED_ON =
      List.of("follow", "previous", "tailLines", "sinceSeconds", "sinceTime", "timestamps", "limitBytes");
  private static final int CONNECT_TIMEOUT_MS = 5_000;

  private final ResourceStore store;
  private final CertificateAuthority.ClientCertFiles kubeletClient;
  private HttpClient client;
  private final PodStreamProxy streams;

  PodLogProxy(ResourceStore store, CertificateAuthority.ClientCertFiles kubeletClient) {
    this.store = store;
    this.kubeletClient = kubeletClient;
    this.streams = new PodStreamProxy(store, kubeletClient);
  }

  /** exec, attach and port-forward, which reach the same node agents the same way. */
  PodStreamProxy streams() {
    return streams;
  }

  void serve(RoutingContext ctx, String namespace, String podName) {
    Future.fromCompletionStage(store.get(Kinds.POD, namespace, podName), ctx.vertx().getOrCreateContext())
        .compose(pod -> {
          Pod p = (Pod) pod.object();
          String container = containerOf(p, ctx.request().getParam("container"));
          String nodeName = p.getSpec() == null ? null : p.getSpec().getNodeName();
          if (nodeName == null || nodeName.isEmpty()) {
            throw new ApiException(ApiStatus.badRequest("pod " + podName + " does not have a host assigned"));
          }
          return Future.fromCompletionStage(store.get(Kinds.NODE, "", nodeName), ctx.vertx().getOrCreateContext())
              .map(node -> new Target(nodeName, container, address((Node) node.object()), port((Node) node.object())));
        })
        .compose(t -> stream(ctx, namespace, podName, t))
        .onFailure(e -> Responses.error(ctx, e));
  }

  private record Target(String node, String container, String host, int port) {}

  private Future<Void> stream(RoutingContext ctx, String namespace, String podName, Target t) {
    StringJoiner query = new StringJoiner("&", "?", "").setEmptyValue("");
    for (String name : PASSED_ON) {
      String v = ctx.request().getParam(name);
      if (v != null) {
        query.add(name + "=" + URLEncoder.encode(v, StandardCharsets.UTF_8));
      }
    }
    String uri = "/containerLogs/" + enc(namespace) + "/" + enc(podName) + "/" + enc(t.container()) + query;
    RequestOptions req = new RequestOptions().setMethod(HttpMethod.GET).setHost(t.host()).setPort(t.port())
        .setURI(uri).setConnectTimeout(CONNECT_TIMEOUT_MS);
    return client(ctx.vertx()).request(req)
        .compose(r -> r.send())
        .recover(e -> Future.failedFuture(new ApiException(ApiStatus.serviceUnavailable("cannot reach the node agent of "
            + t.node() + " at " + t.host() + ":" + t.port() + " for the logs of pod " + podName + ": " + e.getMessage()))))
        .compose(upstream -> relay(ctx, upstream, podName, t));
  }

  private static Future<Void> relay(RoutingContext ctx, HttpClientResponse upstream, String podName, Target t) {
    if (upstream.statusCode() != 200) {
      // The agent explains in plain text (no logs yet, not on this node, …): a Status the client shows.
      return upstream.body().compose(body -> Future.failedFuture(new ApiException(upstream.statusCode() == 404
          ? ApiStatus.badRequest(body.toString().strip())
          : new ApiStatus(upstream.statusCode() >= 500 ? 503 : 400,
              upstream.statusCode() >= 500 ? "ServiceUnavailable" : "BadRequest", body.toString().strip(), null))));
    }
    HttpServerResponse out = ctx.response();
    out.setStatusCode(200).setChunked(true).putHeader("Content-Type", "text/plain");
    out.closeHandler(v -> upstream.request().connection().close());
    return upstream.pipeTo(out).onFailure(e ->
        log.debug("log stream of {} container {} from {} ended: {}", podName, t.container(), t.node(), e.toString()));
  }

  /** The container named, or the pod's only one; the messages are kube-apiserver's. */
  static String containerOf(Pod pod, String requested) {
    List<Container> containers = pod.getSpec() == null ? List.of() : pod.getSpec().getContainers();
    List<Container> init = pod.getSpec() == null || pod.getSpec().getInitContainers() == null
        ? List.of() : pod.getSpec().getInitContainers();
    String name = pod.getMetadata().getName();
    if (requested == null || requested.isEmpty()) {
      if (containers.size() == 1) {
        return containers.get(0).getName();
      }
      throw new ApiException(ApiStatus.badRequest("a container name must be specified for pod " + name
          + ", choose one of: " + containers.stream().map(Container::getName).toList()));
    }
    boolean known = containers.stream().anyMatch(c -> c.getName().equals(requested))
        || init.stream().anyMatch(c -> c.getName().equals(requested))
        || EphemeralContainers.of(pod.getSpec()).stream().anyMatch(c -> c.getName().equals(requested));
    if (!known) {
      throw new ApiException(ApiStatus.badRequest("container " + requested + " is not valid for pod " + name));
    }
    return requested;
  }

  static int port(Node node) {
    return KubeletEndpoint.port(node).orElseThrow(() -> new ApiException(ApiStatus.serviceUnavailable("node "
        + node.getMetadata().getName() + " reports no daemon endpoint (status.daemonEndpoints.kubeletEndpoint.Port):"
        + " is its node agent running?")));
  }

  /** The node's InternalIP (else its first address); loopback when that address is this machine's. */
  static String address(Node node) {
    return KubeletEndpoint.address(node);
  }

  private synchronized HttpClient client(Vertx vertx) {
    if (client == null) {
      client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false).setSsl(true).setTrustAll(true)
          .setVerifyHost(false).setKeyCertOptions(new PemKeyCertOptions().setCertPath(kubeletClient.cert().toString())
              .setKeyPath(kubeletClient.key().toString())));
    }
    return client;
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
