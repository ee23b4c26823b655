package io.capstan.nodeagent.volume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicWriterTest {
  @TempDir
  Path dir;

  private final AtomicWriter writer = new AtomicWriter(Clock.systemUTC());

  private static FileProjection file(String text, int mode) {
    return new FileProjection(text.getBytes(StandardCharsets.UTF_8), mode);
  }

  private List<String> hidden(Path target) throws Exception {
    try (Stream<Path> s = Files.list(target)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("..") && !n.equals("..data")).toList();
    }
  }

  @Test
  void filesAreLinksThroughDataToOneTimestampedDirectory() throws Exception {
    Path target = dir.resolve("vol");
    Map<String, FileProjection> payload = new TreeMap<>(Map.of("token", file("abc", 0644),
        "conf/app.yaml", file("a: 1", 0400)));
    assertTrue(writer.write(target, payload));
    assertTrue(Files.isSymbolicLink(target.resolve("..data")));
    assertEquals(Path.of("..data", "token"), Files.readSymbolicLink(target.resolve("token")));
    assertEquals(Path.of("..data", "conf"), Files.readSymbolicLink(target.resolve("conf")));
    assertEquals("abc", Files.readString(target.resolve("token")));
    assertEquals("a: 1", Files.readString(target.resolve("conf/app.yaml")));
    assertEquals("r--------", PosixFilePermissions.toString(Files.getPosixFilePermissions(target.resolve("conf/app.yaml"))));
    assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(target.resolve("token"))));
    List<String> ts = hidden(target);
    assertEquals(1, ts.size(), ts.toString());
    assertTrue(ts.get(0).matches("\\.\\.\\d{4}_\\d{2}_\\d{2}_\\d{2}_\\d{2}_\\d{2}\\.\\d{9}(-\\d+)?"), ts.get(0));
  }

  @Test
  void theSamePayloadWritesNothingAndAChangeSwapsEverythingAtOnce() throws Exception {
    Path target = dir.resolve("vol");
    writer.write(target, Map.of("a", file("1", 0644), "b", file("2", 0644)));
    String first = hidden(target).get(0);
    assertFalse(writer.write(target, Map.of("a", file("1", 0644), "b", file("2", 0644))));
    assertEquals(List.of(first), hidden(target));

    assertTrue(writer.write(target, Map.of("a", file("one", 0644), "c", file("3", 0644))));
    assertEquals("one", Files.readString(target.resolve("a")));
    assertEquals("3", Files.readString(target.resolve("c")));
    assertFalse(Files.exists(target.resolve("b"), java.nio.file.LinkOption.NOFOLLOW_LINKS), "b left the payload");
    List<String> now = hidden(target);
    assertEquals(1, now.size(), "the old timestamped directory is gone: " + now);
    assertTrue(!now.get(0).equals(first));

    assertTrue(writer.write(target, Map.of("a", file("one", 0600), "c", file("3", 0644))), "a mode change is a change");
  }

  @Test
  void plainFilesOfAnOlderLayoutAreReplaced() throws Exception {
    Path target = Files.createDirectories(dir.resolve("vol"));
    Files.writeString(target.resolve("a"), "old");
    Files.writeString(target.resolve("gone"), "old");
    writer.write(target, Map.of("a", file("new", 0644)));
    assertTrue(Files.isSymbolicLink(target.resolve("a")));
    assertEquals("new", Files.readString(target.resolve("a")));
    assertFalse(Files.exists(target.resolve("gone")));
  }

  @Test
  void pathsThatLeaveTheVolumeAreRefused() {
    for (String bad : List.of("/etc/passwd", "../x", "a/../../x", "..data", "..x", "")) {
      assertThrows(IllegalArgumentException.class, () -> writer.write(dir.resolve("vol"), Map.of(bad, file("x", 0644))),
          bad);
    }
  }
}
