package io.capstan.gateway.server;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;
import java.util.regex.Pattern;

/**
 * Lets SPDY clients open exec, attach and port-forward streams. They ask with {@code POST} and
 * {@code Upgrade: SPDY/3.1} (kubectl before 1.30 always, and today's client-go when it falls back
 * from WebSocket), and kube-apiserver's upgrade-aware proxy takes an upgrade whatever its method.
 * Vert.x hands a connection over ({@code toNetSocket}) only for a GET or CONNECT, so such a POST
 * was a 500. This handler sits on each HTTP/1 connection right after the request decoder and shows
 * the server that POST as the GET it is for the tunnel: it has no body, and authorization counts
 * GET and POST of these subresources alike (create, as kube-apiserver does since 1.30).
 */
@ChannelHandler.Sharable
final class SpdyUpgrades extends ChannelInboundHandlerAdapter {
  private static final String NAME = "capstan-spdy-upgrades";
  private static final SpdyUpgrades INSTANCE = new SpdyUpgrades();
  /** The streaming subresources of a pod, as the request line's path names them. */
  private static final Pattern STREAM_PATH =
      Pattern.compile("^/api/v1/namespaces/[^/?]+/pods/[^/?]+/(exec|attach|portforward)(\\?.*)?$");

  private SpdyUpgrades() {}

  /**
   * Puts the handler on a newly accepted connection (an HTTP/1 one: HTTP/2 has no upgrades). The
   * gateway's servers speak HTTP/1.1 from the first byte, so a connection is handed to this before
   * its first request is decoded (with cleartext HTTP/2 sniffing, the first request would pass).
   */
  static void install(HttpConnection connection) {
    if (connection instanceof ConnectionBase base) {
      ChannelPipeline pipeline = base.channelHandlerContext().pipeline();
      if (pipeline.get("httpDecoder") != null && pipeline.get(NAME) == null) {
        pipeline.addAfter("httpDecoder", NAME, INSTANCE);
      }
    }
  }

  /** A SPDY upgrade of a pod's stream, asked with POST. */
  static boolean isSpdyPost(HttpRequest request) {
    return request.method().equals(HttpMethod.POST)
        && GatewayServer.upgradesToSpdy(request.headers().get(HttpHeaderNames.UPGRADE))
        && STREAM_PATH.matcher(request.uri()).matches();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest request && isSpdyPost(request)) {
      request.setMethod(HttpMethod.GET);
    }
    ctx.fireChannelRead(msg);
  }
}
