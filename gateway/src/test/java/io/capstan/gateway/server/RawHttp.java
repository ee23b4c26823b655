package io.capstan.gateway.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * HTTP/1.1 over a plain socket, one request per connection ({@code Connection: close}), for
 * requests no well-behaved client library would send: any method, any header (or none), bytes
 * that are not UTF-8, a Content-Length that lies, a request cut off half-way.
 */
final class RawHttp {
  /** What came back: a status code, or why there was none. */
  record Answer(int code, String body, String failure, long micros) {
    boolean answered() {
      return code > 0;
    }
  }

  private static final int MAX_BODY = 64 * 1024;

  private final String host;
  private final int port;
  private final int readTimeoutMs;

  RawHttp(String host, int port, int readTimeoutMs) {
    this.host = host;
    this.port = port;
    this.readTimeoutMs = readTimeoutMs;
  }

  /** The request head and body are sent as given (the head must end with the blank line). */
  Answer exchange(byte[] head, byte[] body) {
    long start = System.nanoTime();
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), 5_000);
      s.setSoTimeout(readTimeoutMs);
      OutputStream out = s.getOutputStream();
      String writeFailure = null;
      try {
        out.write(head);
        if (body != null && body.length > 0) {
          out.write(body);
        }
        out.flush();
      } catch (IOException e) {
        // The server may answer (413) and close before it has read everything: read its answer anyway.
        writeFailure = "write: " + e.getMessage();
      }
      return read(s.getInputStream(), start, writeFailure);
    } catch (IOException e) {
      return new Answer(0, "", "connect: " + e, micros(start));
    }
  }

  /** A request with a Content-Length header for its body. */
  Answer exchange(String method, String target, String contentType, byte[] body, String... extraHeaders) {
    StringBuilder h = new StringBuilder();
    h.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
    h.append("Host: ").append(host).append(':').append(port).append("\r\n");
    h.append("Connection: close\r\n");
    if (contentType != null) {
      h.append("Content-Type: ").append(contentType).append("\r\n");
    }
    for (String extra : extraHeaders) {
      h.append(extra).append("\r\n");
    }
    if (body != null) {
      h.append("Content-Length: ").append(body.length).append("\r\n");
    }
    h.append("\r\n");
    return exchange(h.toString().getBytes(StandardCharsets.ISO_8859_1), body);
  }

  private Answer read(InputStream in, long start, String writeFailure) {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    try {
      int n;
      while ((n = in.read(buf)) >= 0) {
        got.write(buf, 0, Math.min(n, Math.max(0, MAX_BODY - got.size())));
        if (got.size() >= MAX_BODY) {
          break;
        }
      }
    } catch (SocketTimeoutException e) {
      return answer(got, start, "no end of answer within " + readTimeoutMs + " ms", writeFailure);
    } catch (IOException e) {
      if (got.size() == 0) {
        return new Answer(0, "", "read: " + e + (writeFailure == null ? "" : "; " + writeFailure), micros(start));
      }
    }
    return answer(got, start, null, writeFailure);
  }

  private static Answer answer(ByteArrayOutputStream got, long start, String hang, String writeFailure) {
    String text = got.toString(StandardCharsets.ISO_8859_1);
    if (!text.startsWith("HTTP/") || text.length() < 12) {
      return new Answer(0, text, (hang != null ? hang : "no status line")
          + (writeFailure == null ? "" : "; " + writeFailure), micros(start));
    }
    int code;
    try {
      int space = text.indexOf(' ');
      code = Integer.parseInt(text.substring(space + 1, space + 4));
    } catch (RuntimeException e) {
      return new Answer(0, text, "bad status line", micros(start));
    }
    if (hang != null) {
      return new Answer(code, text, hang, micros(start));
    }
    int bodyAt = text.indexOf("\r\n\r\n");
    String body = bodyAt < 0 ? "" : new String(got.toByteArray(), bodyAt + 4, got.size() - bodyAt - 4,
        StandardCharsets.UTF_8);
    return new Answer(code, body, null, micros(start));
  }

  private static long micros(long start) {
    return (System.nanoTime() - start) / 1000;
  }
}
