package io.capstan.nodeagent.logs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Reads CRI log files back into what {@code kubectl logs} prints: each record's content, partial
 * ({@code P}) records joined with the rest of their line, optionally prefixed by the timestamp.
 */
public final class CriLogReader {
  private CriLogReader() {}

  /** One log record. */
  public record Entry(Instant time, String stream, boolean partial, String content) {}

  /** Parses a record; null for a malformed one. */
  public static Entry parse(String line) {
    int a = line.indexOf(' ');
    int b = a < 0 ? -1 : line.indexOf(' ', a + 1);
    int c = b < 0 ? -1 : line.indexOf(' ', b + 1);
    if (c < 0) {
      return null;
    }
    try {
      return new Entry(Instant.parse(line.substring(0, a)), line.substring(a + 1, b), line.charAt(b + 1) == 'P',
          line.substring(c + 1));
    } catch (RuntimeException e) {
      return null;
    }
  }

  /**
   * The output lines of a log file, as kubectl shows them.
   *
   * @param tailLines  only the last lines; negative for all
   * @param since      only records at or after; null for all
   * @param timestamps prefix each line with its RFC 3339 timestamp
   */
  public static List<String> lines(Path file, long tailLines, Instant since, boolean timestamps) throws IOException {
    Deque<String> out = new ArrayDeque<>();
    StringBuilder pending = new StringBuilder();
    Instant pendingTime = null;
    for (String raw : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      Entry e = parse(raw);
      if (e == null || (since != null && e.time().isBefore(since))) {
        continue;
      }
      if (pendingTime == null) {
        pendingTime = e.time();
      }
      pending.append(e.content());
      if (!e.partial()) {
        out.addLast(timestamps ? pendingTime + " " + pending : pending.toString());
        pending.setLength(0);
        pendingTime = null;
        if (tailLines >= 0 && out.size() > tailLines) {
          out.removeFirst();
        }
      }
    }
    return new ArrayList<>(out);
  }
}
