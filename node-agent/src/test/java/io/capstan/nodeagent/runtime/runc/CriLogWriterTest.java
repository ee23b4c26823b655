package io.capstan.nodeagent.runtime.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.capstan.nodeagent.logs.CriLogReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CriLogWriterTest {
  @Test
  void linesBecomeCriRecordsAndLongLinesAreSplitIntoPartials(@TempDir Path dir) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Clock clock = Clock.fixed(Instant.parse("2026-11-27T07:00:00.123456789Z"), ZoneOffset.UTC);
    CriLogWriter w = new CriLogWriter(out, clock);
    String longLine = "x".repeat(CriLogWriter.MAX_LINE + 5);
    w.copy("stdout", new ByteArrayInputStream(("hello\n" + longLine + "\nlast").getBytes(StandardCharsets.UTF_8)));
    List<String> records = out.toString(StandardCharsets.UTF_8).lines().toList();
    assertEquals("2026-11-27T07:00:00.123456789Z stdout F hello", records.get(0));
    assertEquals("2026-11-27T07:00:00.123456789Z stdout P " + "x".repeat(CriLogWriter.MAX_LINE), records.get(1));
    assertEquals("2026-11-27T07:00:00.123456789Z stdout F xxxxx", records.get(2));
    assertEquals("2026-11-27T07:00:00.123456789Z stdout F last", records.get(3));

    Path file = dir.resolve("0.log");
    Files.write(file, out.toByteArray());
    assertEquals(List.of("hello", longLine, "last"), CriLogReader.lines(file, -1, null, false));
    assertEquals(List.of("last"), CriLogReader.lines(file, 1, null, false));
    assertEquals(List.of("2026-11-27T07:00:00.123456789Z last"), CriLogReader.lines(file, 1, null, true));
  }
}
