package io.capstan.nodeagent.runtime.runc;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A container's log file that rotates by size, as kubelet's container log manager does
 * ({@code containerLogMaxSize} 10 MiB, {@code containerLogMaxFiles} 5): once the file has
 * reached the limit, the next record boundary renames it to {@code <name>.<yyyyMMdd-HHmmss>}
 * and starts a new one; only the newest rotated files are kept, so a chatty container never
 * fills the node's disk. Rotated files are not compressed.
 */
public final class RotatingLogFile extends OutputStream {
  public static final long DEFAULT_MAX_BYTES = 10L * 1024 * 1024;
  public static final int DEFAULT_MAX_FILES = 5;
  private static final DateTimeFormatter SUFFIX = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

  private final Path path;
  private final long maxBytes;
  private final int maxFiles;
  private final Clock clock;
  private FileOutputStream out;
  private long size;
  private String lastStamp;
  private int sameSecond;

  public RotatingLogFile(Path path, long maxBytes, int maxFiles, Clock clock) throws IOException {
    if (maxBytes <= 0 || maxFiles < 1) {
      throw new IllegalArgumentException("log rotation needs a positive size and at least one file, got " + maxBytes
          + " bytes and " + maxFiles + " files");
    }
    this.path = path;
    this.maxBytes = maxBytes;
    this.maxFiles = maxFiles;
    this.clock = clock;
    open();
  }

  private void open() throws IOException {
    Files.createDirectories(path.getParent());
    out = new FileOutputStream(path.toFile(), true);
    size = Files.size(path);
  }

  @Override
  public void write(int b) throws IOException {
    out.write(b);
    size++;
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    out.write(b, off, len);
    size += len;
  }

  @Override
  public void flush() throws IOException {
    out.flush();
  }

  /** Kubelet's defaults: 10 MiB, 5 files. */
  public static RotatingLogFile kubeletDefaults(Path path, Clock clock) throws IOException {
    return new RotatingLogFile(path, DEFAULT_MAX_BYTES, DEFAULT_MAX_FILES, clock);
  }

  /** Called between records: rotates when the file has reached its limit. */
  void recordEnded() throws IOException {
    if (size < maxBytes) {
      return;
    }
    out.close();
    // Several rotations within one second get a counter, so names sort by age even after the
    // oldest of that second was pruned.
    String stamp = SUFFIX.format(clock.instant());
    sameSecond = stamp.equals(lastStamp) ? sameSecond + 1 : 0;
    lastStamp = stamp;
    Path rotated = path.resolveSibling(name(stamp, sameSecond));
    while (Files.exists(rotated)) {
      rotated = path.resolveSibling(name(stamp, ++sameSecond));
    }
    Files.move(path, rotated, StandardCopyOption.ATOMIC_MOVE);
    prune();
    open();
  }

  private String name(String stamp, int n) {
    return path.getFileName() + "." + stamp + (n == 0 ? "" : String.format("-%06d", n));
  }

  /** Keeps the newest {@code maxFiles - 1} rotated files (the live file is the last of the five). */
  private void prune() throws IOException {
    String prefix = path.getFileName() + ".";
    List<Path> rotated;
    try (Stream<Path> s = Files.list(path.getParent())) {
      rotated = s.filter(p -> p.getFileName().toString().startsWith(prefix))
          .sorted(Comparator.comparing((Path p) -> p.getFileName().toString()).reversed()).toList();
    }
    for (int i = maxFiles - 1; i < rotated.size(); i++) {
      Files.deleteIfExists(rotated.get(i));
    }
  }

  @Override
  public void close() throws IOException {
    out.close();
  }
}
