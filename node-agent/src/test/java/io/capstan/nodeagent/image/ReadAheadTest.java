package io.capstan.nodeagent.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The read-ahead stream a registry layer is unpacked from: same bytes, failures in place, a close that stops it. */
class ReadAheadTest {
  @Test
  void deliversEveryByteInOrderAcrossChunks() throws IOException {
    byte[] data = new byte[ReadAhead.CHUNK * 3 + 12_345];
    new Random(7).nextBytes(data);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ReadAhead in = new ReadAhead(new ByteArrayInputStream(data), "test-read-ahead")) {
      assertEquals(data[0] & 0xff, in.read(), "a single byte");
      out.write(data[0]);
      byte[] odd = new byte[1_000_003];
      for (int n; (n = in.read(odd, 0, odd.length)) >= 0; ) {
        out.write(odd, 0, n);
      }
      assertEquals(-1, in.read(), "the end stays the end");
    }
    assertArrayEquals(data, out.toByteArray());
  }

  @Test
  void aSourcesFailureComesAfterTheBytesBeforeIt() throws IOException {
    byte[] data = new byte[ReadAhead.CHUNK + 100];
    InputStream failing = new InputStream() {
      int pos;

      @Override
      public int read() throws IOException {
        if (pos == data.length) {
          throw new IOException("connection reset");
        }
        return data[pos++] & 0xff;
      }
    };
    try (ReadAhead in = new ReadAhead(failing, "test-read-ahead")) {
      byte[] got = in.readNBytes(data.length);
      assertEquals(data.length, got.length, "every byte before the failure");
      IOException e = assertThrows(IOException.class, in::read);
      assertEquals("connection reset", e.getMessage());
    }
  }

  @Test
  void closingBeforeTheEndStopsTheThreadAndClosesTheSource() throws IOException {
    boolean[] closed = {false};
    InputStream endless = new InputStream() {
      @Override
      public int read() {
        return 'x';
      }

      @Override
      public void close() {
        closed[0] = true;
      }
    };
    ReadAhead in = new ReadAhead(endless, "test-read-ahead");
    assertEquals('x', in.read());
    in.close();
    assertFalse(in.reading(), "the read-ahead thread ended");
    assertEquals(true, closed[0], "the source was closed");
  }
}
