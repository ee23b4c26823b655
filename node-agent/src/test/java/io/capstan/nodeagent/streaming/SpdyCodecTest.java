package io.capstan.nodeagent.streaming;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.Inflater;
import org.junit.jupiter.api.Test;

/**
 * Stream replies as the Go SPDY framer of kubectl and client-go reads them: every SYN_REPLY
 * carries a header block (zero headers, compressed), the blocks of one connection continuing one
 * zlib stream. A reply without a block is what made kubectl drop the connection on the first
 * forwarded connection.
 */
class SpdyCodecTest {

  @Test
  void eachReplyCarriesAnEmptyHeaderBlockInTheConnectionsZlibStream() throws Exception {
    List<byte[]> sent = new ArrayList<>();
    SpdyCodec codec = new SpdyCodec(b -> {
      sent.add(b.getBytes());
      return Future.succeededFuture();
    });
    codec.reply(1);
    codec.reply(3);
    assertEquals(2, sent.size());
    Inflater inflater = new Inflater(); // one per connection, as the client's framer has it
    int stream = 1;
    for (byte[] frame : sent) {
      ByteBuffer b = ByteBuffer.wrap(frame);
      assertEquals(0x8003, b.getShort() & 0xffff, "a control frame of SPDY version 3");
      assertEquals(2, b.getShort(), "SYN_REPLY");
      int flagsAndLength = b.getInt();
      assertEquals(0, flagsAndLength >>> 24, "no FIN");
      int length = flagsAndLength & 0xffffff;
      assertEquals(frame.length - 8, length);
      assertEquals(stream, b.getInt());
      byte[] block = Arrays.copyOfRange(frame, 12, frame.length);
      assertEquals(true, block.length > 0, "a header block is there");
      inflater.setInput(block);
      byte[] numHeaders = new byte[4];
      assertEquals(4, inflater.inflate(numHeaders), "the block holds a header count");
      assertArrayEquals(new byte[4], numHeaders, "of zero");
      assertEquals(0, inflater.getRemaining(), "and nothing else: the client's reader ends at the frame's end");
      stream += 2;
    }
    codec.close();
    assertEquals(true, codec.reply(5).failed(), "a closed connection answers nothing");
  }

  @Test
  void framesFromTheNettyEncoderStillGoOut() {
    List<Buffer> sent = new ArrayList<>();
    SpdyCodec codec = new SpdyCodec(b -> {
      sent.add(b);
      return Future.succeededFuture();
    });
    codec.write(new io.netty.handler.codec.spdy.DefaultSpdyPingFrame(9));
    assertEquals(1, sent.size());
    assertEquals(12, sent.get(0).length(), "a PING frame");
    codec.close();
  }
}
