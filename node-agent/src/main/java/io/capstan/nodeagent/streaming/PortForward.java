package io.capstan.nodeagent.streaming;

import io.vertx.core.Future;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.function.BiFunction;

/**
 * The two ways a port-forward client reaches a {@link PortForwardSession}: a WebSocket with the
 * subprotocol {@value #TUNNEL_PROTOCOL} carrying the SPDY bytes in binary messages (kubectl 1.30
 * and later), or an HTTP upgrade to {@code SPDY/3.1} with {@code X-Stream-Protocol-Version:
 * portforward.k8s.io} (older clients), after which the connection itself carries SPDY.
 */
final class PortForward {
  static final String PROTOCOL = "portforward.k8s.io";
  static final String TUNNEL_PROTOCOL = "SPDY/3.1+" + PROTOCOL;

  private PortForward() {}

  static void serve(RoutingContext ctx, PortForwardSession.Target target,
      BiFunction<RoutingContext, List<String>, Future<ServerWebSocket>> upgrade) {
    HttpServerRequest req = ctx.request();
    if (req.canUpgradeToWebSocket()) {
      upgrade.apply(ctx, List.of(TUNNEL_PROTOCOL)).onSuccess(ws -> {
        PortForwardSession s = new PortForwardSession(target, ws::writeBinaryMessage, () -> ws.close((short) 1000));
        ws.binaryMessageHandler(s::received);
        ws.closeHandler(v -> s.close());
        ws.exceptionHandler(e -> s.close());
      });
      return;
    }
    String upgradeTo = req.getHeader("Upgrade");
    if (upgradeTo == null || !upgradeTo.equalsIgnoreCase("SPDY/3.1")) {
      ContainerStreams.refuse(ctx, 400, "unable to upgrade: port-forward needs a WebSocket (" + TUNNEL_PROTOCOL
          + ") or an Upgrade to SPDY/3.1");
      return;
    }
    List<String> versions = req.headers().getAll("X-Stream-Protocol-Version");
    boolean known = versions.stream().flatMap(v -> java.util.Arrays.stream(v.split(","))).map(String::trim)
        .anyMatch(PROTOCOL::equals);
    if (!known) {
      ContainerStreams.refuse(ctx, 403, "unable to upgrade: unable to negotiate protocol: client supports " + versions
          + ", server supports [" + PROTOCOL + "]");
      return;
    }
    ctx.response().putHeader("Connection", "Upgrade").putHeader("Upgrade", "SPDY/3.1")
        .putHeader("X-Stream-Protocol-Version", PROTOCOL);
    req.toNetSocket().onSuccess(socket -> {
      PortForwardSession s = new PortForwardSession(target, socket::write, socket::close);
      socket.handler(s::received);
      socket.closeHandler(v -> s.close());
      socket.exceptionHandler(e -> s.close());
    });
  }
}
