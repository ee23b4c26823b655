package io.capstan.nodeagent.streaming;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.spdy.SpdyFrameCodec;
import io.netty.handler.codec.spdy.SpdyFrameEncoder;
import io.netty.handler.codec.spdy.SpdyVersion;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.zip.Deflater;

/**
 * SPDY/3.1 frames over a byte transport, with Netty's codec (framing and the zlib-compressed
 * header blocks) on an embedded channel: bytes from the client decode into frames, frames written
 * encode into bytes for the transport. Thread-safe; one per connection.
 *
 * <p>Stream replies are written by {@link #reply}, not by Netty's encoder: for a reply without
 * headers Netty sends no header block at all, and the Go SPDY framer of kubectl and client-go
 * then fails to read the frame (its zlib reader finds no input) and drops the whole connection.
 * kubelet answers every stream with a block holding zero headers, compressed in the connection's
 * header stream; {@link #reply} does the same (the server sends no other header blocks, so this
 * side's compression stream is its own).
 */
final class SpdyCodec {
  /** A header block of zero name/value pairs, before compression. */
  private static final byte[] NO_HEADERS = new byte[4];

  private final EmbeddedChannel codec = new EmbeddedChannel(new SpdyFrameCodec(SpdyVersion.SPDY_3_1));
  private final SpdyFrameEncoder frames = new SpdyFrameEncoder(SpdyVersion.SPDY_3_1);
  /** This side's header compression stream, one per connection as SPDY/3 has it. */
  private final Deflater headers = new Deflater();
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

  /** Answers the client's stream {@code streamId} (a SYN_REPLY with an empty header block); the future of its write. */
  synchronized Future<Void> reply(int streamId) {
    if (closed) {
      return Future.failedFuture("the connection is closed");
    }
    headers.setInput(NO_HEADERS);
    ByteArrayOutputStream block = new ByteArrayOutputStream();
    byte[] out = new byte[64];
    int n;
    do {
      n = headers.deflate(out, 0, out.length, Deflater.SYNC_FLUSH);
      block.write(out, 0, n);
    } while (n == out.length);
    ByteBuf frame = frames.encodeSynReplyFrame(ByteBufAllocator.DEFAULT, streamId, false,
        Unpooled.wrappedBuffer(block.toByteArray()));
    try {
      byte[] b = new byte[frame.readableBytes()];
      frame.readBytes(b);
      return transport.apply(Buffer.buffer(b));
    } finally {
      frame.release();
    }
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
      headers.end();
    }
  }
}
