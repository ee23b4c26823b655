package io.capstan.nodeagent.streaming;

import io.capstan.api.Pod;
import io.capstan.nodeagent.runtime.ContainerInfo;
import io.capstan.nodeagent.runtime.RuntimeService;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * kubelet's streaming endpoints on the agent's HTTPS server, which the gateway tunnels {@code
 * pods/exec}, {@code pods/attach} and {@code pods/portforward} to:
 * {@code /exec/{namespace}/{pod}/{container}?command=…&stdin=1&stdout=1&stderr=1&tty=1} (a
 * WebSocket speaking {@link ChannelProtocol}) and {@code /portForward/{namespace}/{pod}} (SPDY/3.1
 * in a WebSocket, or on a plain {@code Upgrade: SPDY/3.1}). Refusals are plain text with kubelet's
 * wording (400 for what the client asked wrongly, 404 for a pod not on this node), which the
 * gateway turns into a Status.
 */
public final class ContainerStreams {
  private static final Logger log = LoggerFactory.getLogger(ContainerStreams.class);
  /** The WebSocket subprotocols the agent's server accepts, most preferred first. */
  public static final List<String> SUBPROTOCOLS = List.of(ChannelProtocol.V5, ChannelProtocol.V4,
      PortForward.TUNNEL_PROTOCOL);

  private final RuntimeService runtime;
  private final Supplier<Map<String, Pod>> pods;

  /**
   * @param pods the node's pods by uid
   */
  public ContainerStreams(RuntimeService runtime, Supplier<Map<String, Pod>> pods) {
    this.runtime = runtime;
    this.pods = pods;
  }

  public void routes(Router router) {
    router.route("/exec/:namespace/:pod/:container").handler(this::exec);
    router.route("/attach/:namespace/:pod/:container").handler(this::attach);
    router.route("/portForward/:namespace/:pod").handler(this::portForward);
  }

  private void exec(RoutingContext ctx) {
    HttpServerRequest req = ctx.request();
    Optional<Pod> pod = pod(ctx);
    if (pod.isEmpty()) {
      return;
    }
    StreamOptions options;
    try {
      options = StreamOptions.parse(req::getParam, req.params()::getAll);
    } catch (IllegalArgumentException e) {
      refuse(ctx, 400, e.getMessage());
      return;
    }
    if (options.command().isEmpty()) {
      refuse(ctx, 400, "you must specify at least one command for the container");
      return;
    }
    String container = ctx.pathParam("container");
    Optional<ContainerInfo> running = runningContainer(pod.get(), container);
    if (running.isEmpty()) {
      refuse(ctx, 400, "container not found (\"" + container + "\")");
      return;
    }
    String id = running.get().id();
    if (!req.canUpgradeToWebSocket()) {
      upgradeToSpdy(ctx, options, streams -> new ExecSession(streams, options)
          .run((w, h) -> runtime.exec(id, options.command(), options.tty(), w, h)));
      return;
    }
    upgrade(ctx, ChannelProtocol.SUPPORTED).onSuccess(ws -> {
      log.debug("exec {} in {}/{} container {}", options.command(), pod.get().getMetadata().getNamespace(),
          pod.get().getMetadata().getName(), container);
      new ExecSession(new ChannelSocket(ws, options.stdin()), options)
          .run((w, h) -> runtime.exec(id, options.command(), options.tty(), w, h));
    });
  }

  private void attach(RoutingContext ctx) {
    HttpServerRequest req = ctx.request();
    Optional<Pod> pod = pod(ctx);
    if (pod.isEmpty()) {
      return;
    }
    StreamOptions options;
    try {
      options = StreamOptions.parse(req::getParam, req.params()::getAll);
    } catch (IllegalArgumentException e) {
      refuse(ctx, 400, e.getMessage());
      return;
    }
    String name = ctx.pathParam("container");
    Optional<ContainerInfo> running = runningContainer(pod.get(), name);
    if (running.isEmpty()) {
      refuse(ctx, 400, "container not found (\"" + name + "\")");
      return;
    }
    Optional<io.capstan.api.Container> spec = pod.get().getSpec().getContainers().stream()
        .filter(c -> c.getName().equals(name)).findFirst();
    boolean hasStdin = spec.map(c -> Boolean.TRUE.equals(c.getStdin())).orElse(false);
    boolean once = spec.map(c -> Boolean.TRUE.equals(c.getStdinOnce())).orElse(false);
    // stdin asked of a container without one is dropped, as kubelet drops it
    StreamOptions effective = new StreamOptions(options.stdin() && hasStdin, options.stdout(), options.stderr(),
        options.tty(), options.command());
    if (!req.canUpgradeToWebSocket()) {
      upgradeToSpdy(ctx, effective, streams -> new AttachSession(streams, effective, runtime, running.get(), once).run());
      return;
    }
    upgrade(ctx, ChannelProtocol.SUPPORTED).onSuccess(ws ->
        new AttachSession(new ChannelSocket(ws, effective.stdin()), effective, runtime, running.get(), once).run());
  }

  private void portForward(RoutingContext ctx) {
    Optional<Pod> pod = pod(ctx);
    if (pod.isEmpty()) {
      return;
    }
    String uid = pod.get().getMetadata().getUid();
    String sandbox = sandboxOf(uid);
    boolean anyRunning = runtime.listContainers().stream()
        .anyMatch(c -> c.sandboxId().equals(sandbox) && c.state() == ContainerInfo.State.RUNNING);
    if (!anyRunning) {
      refuse(ctx, 400, "pod " + pod.get().getMetadata().getName() + " has no running container to forward ports to");
      return;
    }
    // kubelet names the pod by its sandbox in these errors (the runtime's streaming server knows no more)
    PortForwardSession.Target target = new PortForwardSession.Target(sandbox, "",
        runtime.podNetworkNamespace(sandbox));
    PortForward.serve(ctx, target, this::upgrade);
  }

  private Optional<Pod> pod(RoutingContext ctx) {
    String ns = ctx.pathParam("namespace");
    String name = ctx.pathParam("pod");
    Optional<Pod> pod = pods.get().values().stream()
        .filter(p -> ns.equals(p.getMetadata().getNamespace()) && name.equals(p.getMetadata().getName())).findFirst();
    if (pod.isEmpty()) {
      refuse(ctx, 404, "pod does not exist");
    }
    return pod;
  }

  /** The newest running attempt of the pod's container. */
  private Optional<ContainerInfo> runningContainer(Pod pod, String name) {
    String sandbox = sandboxOf(pod.getMetadata().getUid());
    return runtime.listContainers().stream()
        .filter(c -> c.sandboxId().equals(sandbox) && c.name().equals(name) && c.state() == ContainerInfo.State.RUNNING)
        .max(Comparator.comparingInt(ContainerInfo::attempt));
  }

  /** The runtimes name a pod's sandbox after its uid (as the pod sync loop does). */
  private static String sandboxOf(String uid) {
    return "s" + uid;
  }

  /**
   * The WebSocket upgrade with one of {@code protocols}: the first the client offers that is
   * among them (the server's list orders nothing); a client offering none of them gets 400.
   */
  Future<ServerWebSocket> upgrade(RoutingContext ctx, List<String> protocols) {
    String offered = ctx.request().getHeader("Sec-WebSocket-Protocol");
    boolean ok = offered != null && java.util.Arrays.stream(offered.split(","))
        .map(String::trim).anyMatch(protocols::contains);
    if (!ok) {
      refuse(ctx, 400, "unable to upgrade: the client offers the WebSocket subprotocols [" + (offered == null ? ""
          : offered) + "], this endpoint speaks " + protocols);
      return Future.failedFuture("no common subprotocol");
    }
    return ctx.request().toWebSocket().onFailure(e -> log.debug("WebSocket upgrade failed: {}", e.toString()));
  }

  /**
   * The SPDY/3.1 upgrade of exec and attach for clients without WebSocket ({@code
   * v4.channel.k8s.io} in {@code X-Stream-Protocol-Version}); the session starts once the client
   * opened the streams it asked for.
   */
  private static void upgradeToSpdy(RoutingContext ctx, StreamOptions options,
      java.util.function.Consumer<RemoteStreams> session) {
    HttpServerRequest req = ctx.request();
    String upgradeTo = req.getHeader("Upgrade");
    if (upgradeTo == null || !upgradeTo.equalsIgnoreCase("SPDY/3.1")) {
      refuse(ctx, 400, "unable to upgrade: a WebSocket (" + ChannelProtocol.V5 + ", " + ChannelProtocol.V4
          + ") or an Upgrade to SPDY/3.1 is needed");
      return;
    }
    List<String> versions = req.headers().getAll("X-Stream-Protocol-Version").stream()
        .flatMap(v -> java.util.Arrays.stream(v.split(","))).map(String::trim).toList();
    if (!versions.contains(SpdyStreams.PROTOCOL)) {
      refuse(ctx, 403, "unable to upgrade: unable to negotiate protocol: client supports " + versions
          + ", server supports [" + SpdyStreams.PROTOCOL + "]");
      return;
    }
    ctx.response().putHeader("Connection", "Upgrade").putHeader("Upgrade", "SPDY/3.1")
        .putHeader("X-Stream-Protocol-Version", SpdyStreams.PROTOCOL);
    req.toNetSocket().onSuccess(socket -> {
      SpdyStreams streams = new SpdyStreams(options, socket::write, socket::close);
      socket.handler(streams::received);
      socket.closeHandler(v -> streams.gone());
      socket.exceptionHandler(e -> streams.gone());
      ChannelSocket.daemon(() -> {
        if (streams.awaitReady(30_000)) {
          session.accept(streams);
        } else {
          log.debug("the client did not open its streams within 30 s");
          streams.finish(ChannelProtocol.failure("timed out waiting for the client's streams"));
        }
      }, "capstan-spdy-streams");
    });
  }

  static void refuse(RoutingContext ctx, int code, String message) {
    if (!ctx.response().ended()) {
      ctx.response().setStatusCode(code).putHeader("Content-Type", "text/plain; charset=utf-8").end(message + "\n");
    }
  }
}
