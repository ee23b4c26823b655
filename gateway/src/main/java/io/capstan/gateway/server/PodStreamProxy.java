package io.capstan.gateway.server;

import io.capstan.api.Node;
import io.capstan.api.Pod;
import io.capstan.gateway.errors.ApiException;
import io.capstan.gateway.errors.ApiStatus;
import io.capstan.gateway.security.CertificateAuthority;
import io.capstan.gateway.store.ResourceStore;
import io.capstan.logschema.kinds.Kinds;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.RoutingContext;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.StringJoiner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code pods/exec}, {@code pods/attach} and {@code pods/portforward}: checks the request as
 * kube-apiserver does (a container of the pod, a command for exec, a node assigned), then
 * tunnels the connection upgrade to the node agent's {@code /exec}, {@code /attach} or {@code
 * /portForward}, as kube-apiserver's upgrade-aware proxy does to the kubelet: the client's
 * upgrade headers go to the agent, the agent's 101 comes back, and from then on the bytes flow
 * unchanged both ways, whatever protocol they speak (a {@code v5.channel.k8s.io} WebSocket, SPDY
 * in a WebSocket, or SPDY on the bare connection). An agent that refuses (no such container, not
 * running) is answered as a Status with its reason.
 *
 * <p>The connection to the agent is as {@link PodLogProxy}'s: mutual TLS with the gateway's
 * {@code apiserver-kubelet-client} certificate.
 */
final class PodStreamProxy {
  private static final Logger log = LoggerFactory.getLogger(PodStreamProxy.class);
  static final Set<String> SUBRESOURCES = Set.of("exec", "attach", "portforward");
  /** The request headers that make the upgrade, passed on to the agent. */
  private static final List<String> UPGRADE_REQUEST = List.of("Upgrade", "Connection", "Sec-WebSocket-Key",
      "Sec-WebSocket-Version", "Sec-WebSocket-Protocol", "X-Stream-Protocol-Version");
  /** The agent's answer to the upgrade, passed back to the client. */
  private static final List<String> UPGRADE_RESPONSE = List.of("Upgrade", "Connection", "Sec-WebSocket-Accept",
      "Sec-WebSocket-Protocol", "Sec-WebSocket-Extensions", "X-Stream-Protocol-Version");
  /** What kubelet's exec and attach read from the query. */
  private static final List<String> STREAM_PARAMS = List.of("command", "stdin", "stdout", "stderr", "tty");
  private static final int CONNECT_TIMEOUT_MS = 5_000;

  private final ResourceStore store;
  private final CertificateAuthority.ClientCertFiles kubeletClient;
  private HttpClient client;

  PodStreamProxy(ResourceStore store, CertificateAuthority.ClientCertFiles kubeletClient) {
    this.store = store;
    this.kubeletClient = kubeletClient;
  }

  void serve(RoutingContext ctx, String namespace, String podName, String subresource) {
    HttpServerRequest req = ctx.request();
    if (req.getHeader("Upgrade") == null) {
      throw new ApiException(ApiStatus.badRequest("Upgrade request required"));
    }
    req.pause(); // nothing is read until the tunnel stands
    Future.fromCompletionStage(store.get(Kinds.POD, namespace, podName), ctx.vertx().getOrCreateContext())
        .compose(stored -> {
          Pod pod = (Pod) stored.object();
          String uri = agentUri(req, namespace, podName, subresource, pod);
          String nodeName = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
          if (nodeName == null || nodeName.isEmpty()) {
            throw new ApiException(ApiStatus.badRequest("pod " + podName + " does not have a host assigned"));
          }
          return Future.fromCompletionStage(store.get(Kinds.NODE, "", nodeName), ctx.vertx().getOrCreateContext())
              .compose(node -> tunnel(ctx, nodeName, PodLogProxy.address((Node) node.object()),
                  PodLogProxy.port((Node) node.object()), uri, podName));
        })
        .onFailure(e -> {
          req.resume();
          Responses.error(ctx, e);
        });
  }

  /** The agent's path for the subresource, after kube-apiserver's checks of the request. */
  private static String agentUri(HttpServerRequest req, String namespace, String podName, String subresource,
      Pod pod) {
    if (subresource.equals("portforward")) {
      return "/portForward/" + enc(namespace) + "/" + enc(podName);
    }
    String container = PodLogProxy.containerOf(pod, req.getParam("container"));
    if (subresource.equals("exec") && req.params().getAll("command").isEmpty()) {
      throw new ApiException(ApiStatus.badRequest("you must specify at least one command for the container"));
    }
    StringJoiner query = new StringJoiner("&", "?", "").setEmptyValue("");
    for (String name : STREAM_PARAMS) {
      for (String v : req.params().getAll(name)) {
        query.add(name + "=" + enc(v));
      }
    }
    return "/" + subresource + "/" + enc(namespace) + "/" + enc(podName) + "/" + enc(container) + query;
  }

  private Future<Void> tunnel(RoutingContext ctx, String node, String host, int port, String uri, String podName) {
    HttpServerRequest req = ctx.request();
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost(host).setPort(port).setURI(uri)
        .setConnectTimeout(CONNECT_TIMEOUT_MS);
    for (String h : UPGRADE_REQUEST) {
      List<String> values = req.headers().getAll(h);
      if (!values.isEmpty()) {
        options.putHeader(h, String.join(", ", values));
      }
    }
    return client(ctx.vertx()).request(options)
        .compose(r -> {
          r.exceptionHandler(e -> tunnelEnded(e, podName));
          return r.connect();
        })
        .recover(e -> Future.failedFuture(e instanceof ApiException ? e : new ApiException(ApiStatus.serviceUnavailable(
            "cannot reach the node agent of " + node + " at " + host + ":" + port + " for pod " + podName + ": "
                + e.getMessage()))))
        .compose(upstream -> upstream.statusCode() == 101 ? join(ctx, upstream) : refused(upstream));
  }

  /**
   * What the request to the agent hears once it is the tunnel: its connection closing, as every
   * session ends (kubectl exec's command exited, the client hung up), is no fault; anything else is.
   * (Without a handler Vert.x logs each close as an ERROR.)
   */
  private static void tunnelEnded(Throwable e, String podName) {
    if (e instanceof io.vertx.core.http.HttpClosedException || "Connection was closed".equals(e.getMessage())) {
      log.debug("the stream of pod {} ended: {}", podName, e.getMessage());
    } else {
      log.warn("the stream of pod {} to its node agent failed", podName, e);
    }
  }

  /** The agent upgraded: the same upgrade to the client, then bytes both ways until either side closes. */
  private static Future<Void> join(RoutingContext ctx, HttpClientResponse upstream) {
    NetSocket agent = upstream.netSocket();
    for (String h : UPGRADE_RESPONSE) {
      List<String> values = upstream.headers().getAll(h);
      if (!values.isEmpty()) {
        ctx.response().headers().set(h, values);
      }
    }
    ClientDeadlines.tunnelled(ctx);
    return ctx.request().toNetSocket().onFailure(e -> agent.close()).map(client -> {
      // Each side's end (or failure) ends the other once what it sent is delivered: a close
      // handler closing the other side at once could cut off output still buffered (kubectl cp).
      client.pipeTo(agent);
      agent.pipeTo(client);
      return null;
    });
  }

  /** The agent answered without upgrading: its plain-text reason as a Status, as kube passes kubelet's on. */
  private static Future<Void> refused(HttpClientResponse upstream) {
    return upstream.body().compose(body -> {
      String why = body.toString(StandardCharsets.UTF_8).strip();
      int code = upstream.statusCode();
      ApiStatus status = code >= 500 ? ApiStatus.serviceUnavailable(why)
          : code == 403 ? new ApiStatus(403, "Forbidden", why, null)
          : ApiStatus.badRequest(why);
      log.debug("the node agent refused a stream: {} {}", code, why);
      return Future.failedFuture(new ApiException(status));
    });
  }

  private synchronized HttpClient client(Vertx vertx) {
    if (client == null) {
      // Keep-alive (the default): a client without it would say "Connection: close" where the upgrade
      // needs "Connection: Upgrade". An upgraded connection leaves the pool; a refused one may be reused.
      client = vertx.createHttpClient(new HttpClientOptions().setKeepAliveTimeout(5).setSsl(true).setTrustAll(true)
          .setVerifyHost(false).setKeyCertOptions(new PemKeyCertOptions().setCertPath(kubeletClient.cert().toString())
              .setKeyPath(kubeletClient.key().toString())));
    }
    return client;
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
