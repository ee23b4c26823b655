package io.capstan.nodeagent.runtime.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Size-based rotation of a container log: whole records per file, only the newest files kept. */
class RotatingLogFileTest {
  @TempDir Path dir;

  @Test
  void aChattyContainerRotatesAndKeepsOnlyTheNewestFiles() throws Exception {
    Path log = dir.resolve("main/0.log");
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < 500; i++) {
      out.append("line ").append(i).append('\n');
    }
    try (CriLogWriter writer = new CriLogWriter(new RotatingLogFile(log, 1000, 3, Clock.systemUTC()),
        Clock.systemUTC())) {
      writer.copy("stdout", new ByteArrayInputStream(out.toString().getBytes(StandardCharsets.UTF_8)));
    }
    List<Path> files;
    try (Stream<Path> s = Files.list(log.getParent())) {
      files = s.sorted().toList();
    }
    assertEquals(3, files.size(), "the live file and the two newest rotated ones: " + files);
    assertTrue(Files.size(log) < 1000 + 100, "the live file stays near the limit: " + Files.size(log));
    List<Integer> numbers = new ArrayList<>();
    for (Path f : order(files, log)) {
      for (String line : Files.readAllLines(f)) {
        assertTrue(line.matches("\\S+Z stdout F line \\d+"), "whole CRI records only: " + line);
        numbers.add(Integer.parseInt(line.substring(line.lastIndexOf(' ') + 1)));
      }
    }
    for (int i = 1; i < numbers.size(); i++) {
      assertEquals(numbers.get(i - 1) + 1, numbers.get(i), "no record lost or split between the kept files");
    }
    assertEquals(499, numbers.get(numbers.size() - 1), "the newest line is in the live file");
  }

  /** The rotated files oldest first, then the live one. */
  private static List<Path> order(List<Path> files, Path live) {
    List<Path> out = new ArrayList<>(files.stream().filter(f -> !f.equals(live)).sorted().toList());
    out.add(live);
    return out;
  }

  @Test
  void aLimitThatCannotWorkIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new RotatingLogFile(dir.resolve("x.log"), 0, 5, Clock.systemUTC()));
    assertThrows(IllegalArgumentException.class, () -> new RotatingLogFile(dir.resolve("x.log"), 10, 0, Clock.systemUTC()));
  }
}
