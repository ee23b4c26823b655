package io.capstan.gateway.server;

import io.capstan.gateway.errors.ApiStatus;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Deadlines for slow clients, as kube-apiserver's HTTP server sets them (ReadHeaderTimeout 32 s,
 * IdleTimeout 90 s) and its request timeout (60 s) bounds a request's body: a new connection must
 * deliver its first request's headers within {@link Timeouts#header}; a kept-alive connection
 * with no request in progress is closed after {@link Timeouts#idle}; a request whose body has not
 * arrived within {@link Timeouts#body} gets 408 and its connection is closed. Without them a
 * client that trickles its headers, or never finishes its body, would hold a connection (and the
 * body buffered so far) for ever.
 *
 * <p>The connection must be known from its first byte on, so the servers speak HTTP/1.1 from the
 * start: with cleartext HTTP/2 enabled, Vert.x holds a connection back until its first bytes say
 * which protocol it is, and a client that sends nothing (or trickles) would never be seen.
 *
 * <p>One per event loop: {@link #connected} is the servers' connection handler and the instance
 * itself the router's first handler, both running on that loop.
 */
final class ClientDeadlines implements Handler<RoutingContext> {
  /**
   * @param header time from accepting a connection to its first request's headers
   * @param idle   time a connection may wait, with no request in progress, for its next request
   * @param body   time from a request's headers to the end of its body
   */
  record Timeouts(Duration header, Duration idle, Duration body) {
    Timeouts {
      for (Duration d : new Duration[] {header, idle, body}) {
        if (d == null || d.isNegative() || d.isZero()) {
          throw new IllegalArgumentException("client timeouts must be positive, got " + d);
        }
      }
    }

    static Timeouts defaults() {
      return new Timeouts(Duration.ofSeconds(32), Duration.ofSeconds(90), Duration.ofSeconds(60));
    }
  }

  /** Requests in progress on one connection and the timer that closes it when it has none for too long. */
  private static final class Connection {
    int inProgress;
    long timer = -1;
  }

  private final Vertx vertx;
  private final Timeouts timeouts;
  private final Map<HttpConnection, Connection> connections = new ConcurrentHashMap<>();

  ClientDeadlines(Vertx vertx, Timeouts timeouts) {
    this.vertx = vertx;
    this.timeouts = timeouts;
  }

  /** A connection was accepted: it has {@link Timeouts#header} to send a request. */
  void connected(HttpConnection connection) {
    Connection state = new Connection();
    connections.put(connection, state);
    closeAfter(connection, state, timeouts.header());
    connection.closeHandler(v -> {
      Connection gone = connections.remove(connection);
      if (gone != null && gone.timer >= 0) {
        vertx.cancelTimer(gone.timer);
      }
    });
  }

  @Override
  public void handle(RoutingContext ctx) {
    HttpConnection connection = ctx.request().connection();
    Connection state = connection == null ? null : connections.get(connection);
    if (state != null) {
      state.inProgress++;
      if (state.timer >= 0) {
        vertx.cancelTimer(state.timer);
        state.timer = -1;
      }
      ctx.addEndHandler(done -> {
        state.inProgress--;
        if (state.inProgress == 0 && connections.containsKey(connection)) {
          closeAfter(connection, state, timeouts.idle());
        }
      });
    }
    ctx.put(SELF, this);
    if (!ctx.request().isEnded()) {
      long bodyTimer = vertx.setTimer(timeouts.body().toMillis(), id -> {
        if (!ctx.request().isEnded() && ctx.get(TUNNELLED) == null) {
          bodyTooSlow(ctx);
        }
      });
      ctx.addEndHandler(done -> vertx.cancelTimer(bodyTimer));
    }
    ctx.next();
  }

  private static final String SELF = "capstan.clientDeadlines";
  private static final String TUNNELLED = "capstan.tunnelled";

  /**
   * The request's connection becomes a tunnel (an exec or port-forward session): no request
   * deadline nor idle timeout applies to it any more; it lasts until either side closes it, as a
   * hijacked connection does in kube-apiserver.
   */
  static void tunnelled(RoutingContext ctx) {
    ctx.put(TUNNELLED, Boolean.TRUE);
    ClientDeadlines self = ctx.get(SELF);
    HttpConnection connection = ctx.request().connection();
    if (self != null && connection != null) {
      Connection state = self.connections.remove(connection);
      if (state != null && state.timer >= 0) {
        self.vertx.cancelTimer(state.timer);
        state.timer = -1;
      }
    }
  }

  private void closeAfter(HttpConnection connection, Connection state, Duration timeout) {
    state.timer = vertx.setTimer(timeout.toMillis(), id -> {
      state.timer = -1;
      if (state.inProgress == 0) {
        connection.close();
      }
    });
  }

  private void bodyTooSlow(RoutingContext ctx) {
    var response = ctx.response();
    if (response.ended() || response.closed()) {
      return;
    }
    HttpConnection connection = ctx.request().connection();
    if (response.headWritten()) {
      connection.close();
      return;
    }
    ApiStatus status = new ApiStatus(408, "Timeout", "the request body did not arrive within "
        + timeouts.body().toSeconds() + "s", null);
    response.putHeader("Connection", "close");
    response.setStatusCode(status.code()).putHeader("Content-Type", "application/json")
        .end(io.vertx.core.buffer.Buffer.buffer(Responses.bytes(status.toJson())))
        .onComplete(done -> connection.close());
  }
}
