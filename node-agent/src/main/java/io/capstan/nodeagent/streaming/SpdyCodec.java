package io.capstan.nodeagent.streaming;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.spdy.SpdyFrameCodec;
import io.netty.handler.codec.spdy.SpdyVersion;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * SPDY/3.1 frames over a byte transport, with Netty's codec (framing and the zlib-compressed
 * header blocks) on an embedded channel: bytes from the client decode into frames, frames written
 * encode into bytes for the transport. Thread-safe; one per connection.
 */
final class SpdyCodec {
  private final EmbeddedChannel codec = new EmbeddedChannel(new SpdyFrameCodec(SpdyVersion.SPDY_3_1));
  private final Function<Buffer, Future<Void>> transport;
  private boolean closed;

  /** @param transport sends bytes to the client; its future completes once the connection took them */
  SpdyCodec(Function<Buffer, Future<Void>> transport) {
    this.transport = transport;
  }

  /**
   * The frames the bytes complete (the caller releases them).
   *
   * @throws RuntimeException when the bytes are not SPDY
   */
  synchronized List<Object> decode(Buffer bytes) {
    List<Object> frames = new ArrayList<>();
    if (closed) {
      return frames;
    }
    codec.writeInbound(Unpooled.wrappedBuffer(bytes.getBytes()));
    Object f;
    while ((f = codec.readInbound()) != null) {
      frames.add(f);
    }
    flush(); // the codec may answer by itself (a protocol error)
    return frames;
  }

  /** Encodes and sends a frame; the future of its bytes' write. */
  synchronized Future<Void> write(Object frame) {
    if (closed) {
      ReferenceCountUtil.release(frame);
      return Future.failedFuture("the connection is closed");
    }
    codec.writeOutbound(frame);
    return flush();
  }

  private Future<Void> flush() {
    Future<Void> last = Future.succeededFuture();
    ByteBuf out;
    while ((out = codec.readOutbound()) != null) {
      try {
        byte[] b = new byte[out.readableBytes()];
        out.readBytes(b);
        last = transport.apply(Buffer.buffer(b));
      } finally {
        out.release();
      }
    }
    return last;
  }

  synchronized void close() {
    if (!closed) {
      closed = true;
      codec.finishAndReleaseAll();
    }
  }
}
