package io.capstan.nodeagent.streaming;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The WebSocket channel protocols of Kubernetes' remote commands: every binary message starts
 * with its channel's number (0 stdin, 1 stdout, 2 stderr, 3 the error channel, 4 resize events),
 * the rest is that channel's data. {@code v4.channel.k8s.io} puts the command's end on the error
 * channel as a {@code Status} (with the exit code as a cause); {@code v5.channel.k8s.io} adds
 * channel 255, whose one data byte names a channel the client closes (stdin's end, so that
 * {@code kubectl cp} into a pod can end the {@code tar} reading it).
 */
public final class ChannelProtocol {
  public static final String V5 = "v5.channel.k8s.io";
  public static final String V4 = "v4.channel.k8s.io";
  public static final List<String> SUPPORTED = List.of(V5, V4);

  public static final int STDIN = 0;
  public static final int STDOUT = 1;
  public static final int STDERR = 2;
  public static final int ERROR = 3;
  public static final int RESIZE = 4;
  public static final int CLOSE = 255;

  private static final ObjectMapper JSON = new ObjectMapper();

  private ChannelProtocol() {}

  /** One message: the channel byte, then {@code len} bytes of {@code data}. */
  public static Buffer frame(int channel, byte[] data, int len) {
    Buffer b = Buffer.buffer(len + 1);
    b.appendByte((byte) channel);
    b.appendBytes(data, 0, len);
    return b;
  }

  /** The error channel's Status when the command ended with {@code exitCode}, as kubelet writes it. */
  public static byte[] exitStatus(List<String> command, int exitCode) {
    ObjectNode s = JSON.createObjectNode();
    s.putObject("metadata");
    if (exitCode == 0) {
      s.put("status", "Success");
    } else {
      s.put("status", "Failure");
      s.put("message", "command terminated with non-zero exit code: error executing command " + command
          + ", exit code " + exitCode);
      s.put("reason", "NonZeroExitCode");
      s.putObject("details").putArray("causes").addObject().put("reason", "ExitCode")
          .put("message", Integer.toString(exitCode));
    }
    return s.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** The error channel's Status when the command could not be run at all (500, InternalError). */
  public static byte[] failure(String message) {
    ObjectNode s = JSON.createObjectNode();
    s.putObject("metadata");
    s.put("status", "Failure");
    s.put("message", "Internal error occurred: " + message);
    s.put("reason", "InternalError");
    s.putObject("details").putArray("causes").addObject().put("message", message);
    s.put("code", 500);
    return s.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** A terminal size from the resize channel: {@code {"Width":80,"Height":24}}; null when unreadable. */
  public static int[] terminalSize(byte[] json) {
    try {
      var n = JSON.readTree(json);
      return new int[] {n.path("Width").asInt(0), n.path("Height").asInt(0)};
    } catch (java.io.IOException e) {
      return null;
    }
  }
}
