package io.capstan.ops;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real {@code capstan} main in a child JVM, as a user runs it: its stdout lines collected,
 * its stderr in a file shown when a wait fails, stopped with SIGTERM like a service manager does.
 */
final class ChildCapstan implements AutoCloseable {
  /**
   * How long a test waits for {@code capstan up} (or another long-running command) to say it is
   * ready. The wait ends at the line; this bound only decides when a start that hangs fails, and a
   * cold start on a loaded 2-core CI machine has taken over 3 minutes.
   */
  static final Duration UP_READY = Duration.ofMinutes(6);

  private final Process process;
  private final Path stderr;
  private final List<String> lines = new ArrayList<>();
  private final Thread reader;

  private ChildCapstan(Process process, Path stderr) {
    this.process = process;
    this.stderr = stderr;
    reader = new Thread(this::readStdout, "child-capstan-stdout");
    reader.setDaemon(true);
    reader.start();
  }

  static ChildCapstan start(Path workDir, String... args) {
    return start(workDir, List.of(), args);
  }

  /** As {@link #start(Path, String...)}, with more JVM options for the child. */
  static ChildCapstan start(Path workDir, List<String> jvmOptions, String... args) {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-XX:+UseSerialGC"));
    command.addAll(jvmOptions);
    command.addAll(List.of(
        // The distribution's logging config, not the log4j2-test.xml the test classpath carries.
        "-Dlog4j2.configurationFile=log4j2.xml",
        "-cp", System.getProperty("java.class.path"),
        Capstan.class.getName()));
    command.addAll(List.of(args));
    try {
      Files.createDirectories(workDir);
      Path err = Files.createTempFile(workDir, "stderr-", ".log");
      Process p = new ProcessBuilder(command).directory(workDir.toFile())
          .redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE).start();
      return new ChildCapstan(p, err);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The child's process id. */
  long pid() {
    return process.pid();
  }

  /** Whether the child still runs. */
  boolean alive() {
    return process.isAlive();
  }

  private void readStdout() {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        synchronized (lines) {
          lines.add(line);
          lines.notifyAll();
        }
      }
    } catch (IOException e) {
      // the child is gone; waits report what was read
    }
  }

  /** Waits for a stdout line matching {@code pattern} (from its start); fails with the child's output otherwise. */
  Matcher awaitLine(String pattern, Duration timeout) throws InterruptedException {
    Pattern p = Pattern.compile(pattern);
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lines) {
      int seen = 0;
      while (true) {
        for (; seen < lines.size(); seen++) {
          Matcher m = p.matcher(lines.get(seen));
          if (m.lookingAt()) {
            return m;
          }
        }
        long left = deadline - System.nanoTime();
        if (left <= 0 || (!process.isAlive() && seen == lines.size())) {
          break;
        }
        lines.wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 200)));
      }
    }
    fail("no line matching '" + pattern + "' within " + timeout + (process.isAlive() ? "" : " (exited " + process.exitValue() + ")")
        + "\nstdout:\n" + String.join("\n", stdout()) + "\nstderr:\n" + stderr());
    return null;
  }

  List<String> stdout() {
    synchronized (lines) {
      return List.copyOf(lines);
    }
  }

  String stderr() {
    try {
      return Files.readString(stderr);
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  /**
   * Sends SIGTERM and waits for the exit status. Through the ProcessHandle: Process.destroy()
   * would also close our end of the child's stdout, losing its last lines.
   */
  int terminate(Duration timeout) throws InterruptedException {
    process.toHandle().destroy();
    return awaitExit(timeout);
  }

  int awaitExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      fail("capstan did not exit within " + timeout + "\nstdout:\n" + String.join("\n", stdout()) + "\nstderr:\n" + stderr());
    }
    reader.join(5000); // the last lines, e.g. "capstan stopped"
    return process.exitValue();
  }

  /** Never leaves a child behind, whatever the test did. */
  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
