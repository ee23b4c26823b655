package io.capstan.nodeagent.streaming;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The channel protocol's pieces as client-go reads them, and the stream options as kubelet reads them. */
class ChannelProtocolTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void aNonZeroExitIsAFailureWithTheExitCodeAsCause() throws Exception {
    JsonNode s = JSON.readTree(ChannelProtocol.exitStatus(List.of("sh", "-c", "exit 3"), 3));
    assertEquals("Failure", s.path("status").asText());
    assertEquals("NonZeroExitCode", s.path("reason").asText());
    assertEquals("ExitCode", s.at("/details/causes/0/reason").asText());
    assertEquals("3", s.at("/details/causes/0/message").asText());
    assertTrue(s.path("message").asText().contains("exit code 3"));
    JsonNode ok = JSON.readTree(ChannelProtocol.exitStatus(List.of("true"), 0));
    assertEquals("Success", ok.path("status").asText());
    assertFalse(ok.has("reason"));
  }

  @Test
  void framesStartWithTheChannelAndSizesAreReadFromTheResizeChannel() {
    byte[] data = "hello".getBytes(StandardCharsets.UTF_8);
    var frame = ChannelProtocol.frame(ChannelProtocol.STDERR, data, 3);
    assertEquals(2, frame.getByte(0));
    assertEquals("hel", frame.getString(1, frame.length()));
    assertArrayEquals(new int[] {120, 40},
        ChannelProtocol.terminalSize("{\"Width\":120,\"Height\":40}".getBytes(StandardCharsets.UTF_8)));
    assertNull(ChannelProtocol.terminalSize("not json".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void streamOptionsAsKubeletReadsThem() {
    Map<String, List<String>> q = Map.of("stdin", List.of("true"), "stdout", List.of("1"), "stderr", List.of("1"),
        "tty", List.of("true"), "command", List.of("sh", "-c", "ls"));
    StreamOptions o = StreamOptions.parse(n -> q.containsKey(n) ? q.get(n).get(0) : null, n -> q.getOrDefault(n, List.of()));
    assertTrue(o.stdin() && o.stdout() && o.tty());
    assertFalse(o.stderr(), "a terminal has no separate stderr");
    assertEquals(List.of("sh", "-c", "ls"), o.command());
    IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
        () -> StreamOptions.parse(n -> null, n -> List.of()));
    assertEquals("you must specify at least 1 of stdin, stdout, stderr", none.getMessage());
  }
}
