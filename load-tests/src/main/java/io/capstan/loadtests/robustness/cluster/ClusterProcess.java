package io.capstan.loadtests.robustness.cluster;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One process of the cluster: its command line, its directory (stdout and stderr kept there in
 * {@code stdout.log} and {@code stderr.log} across restarts), and what a fault does to it —
 * {@code kill -9}, SIGSTOP and SIGCONT — and a restart with the same command line. Readiness is
 * the process's own ready line on stdout, waited for as it comes.
 */
public final class ClusterProcess {
  private final String name;
  private final List<String> command;
  private final Path dir;
  private final Pattern ready;
  private final Map<String, String> environment;
  private final List<String> lines = new ArrayList<>();
  private Process process;
  private int startedAt; // index of the current start's first line
  private boolean paused;

  ClusterProcess(String name, List<String> command, Path dir, Pattern ready, Map<String, String> environment) {
    this.name = name;
    this.command = List.copyOf(command);
    this.dir = dir;
    this.ready = ready;
    this.environment = Map.copyOf(environment);
  }

  public String name() {
    return name;
  }

  public Path dir() {
    return dir;
  }

  /** Starts the process (again, after a kill). */
  public synchronized void start() {
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("stderr.log"), "---- start: " + String.join(" ", command) + "\n",
          StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      ProcessBuilder b = new ProcessBuilder(command).directory(dir.toFile())
          .redirectError(ProcessBuilder.Redirect.appendTo(dir.resolve("stderr.log").toFile()))
          .redirectInput(ProcessBuilder.Redirect.PIPE);
      b.environment().putAll(environment);
      Process p = b.start();
      synchronized (lines) {
        startedAt = lines.size();
      }
      process = p;
      paused = false;
      Thread reader = new Thread(() -> readStdout(p), name + "-stdout");
      reader.setDaemon(true);
      reader.start();
    } catch (IOException e) {
      throw new UncheckedIOException("starting " + name + ": " + String.join(" ", command), e);
    }
  }

  private void readStdout(Process p) {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        Writer log = Files.newBufferedWriter(dir.resolve("stdout.log"), StandardCharsets.UTF_8,
            StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
      for (String line; (line = in.readLine()) != null; ) {
        log.write(line + "\n");
        log.flush();
        synchronized (lines) {
          lines.add(line);
          lines.notifyAll();
        }
      }
    } catch (IOException e) {
      // the process is gone; the waits see it
    }
    synchronized (lines) {
      lines.notifyAll();
    }
  }

  /**
   * Waits for this start's ready line and returns it matched; fails naming the process, with the
   * end of its stderr, when it exits first or the bound passes.
   */
  public Matcher awaitReady(Duration timeout) throws InterruptedException {
    Process p;
    int from;
    synchronized (this) {
      p = process;
      from = startedAt;
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lines) {
      int seen = from;
      while (true) {
        for (; seen < lines.size(); seen++) {
          Matcher m = ready.matcher(lines.get(seen));
          if (m.find()) {
            return m;
          }
        }
        long left = deadline - System.nanoTime();
        if (left <= 0 || !p.isAlive() && seen == lines.size()) {
          break;
        }
        lines.wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 200)));
      }
    }
    throw new IllegalStateException(name + " was not ready within " + timeout
        + (p.isAlive() ? "" : " (it exited " + p.exitValue() + ")") + "; the end of its stderr:\n" + stderrTail());
  }

  /** The last lines of the process's stderr (all its starts). */
  public String stderrTail() {
    try {
      List<String> all = Files.readAllLines(dir.resolve("stderr.log"), StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - 30), all.size()));
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  public synchronized long pid() {
    return process.pid();
  }

  public synchronized boolean alive() {
    return process != null && process.isAlive();
  }

  /** {@code kill -9}: no shutdown hook, no flush, no goodbye. */
  public void kill() throws InterruptedException {
    Process p;
    synchronized (this) {
      p = process;
    }
    if (paused) {
      signal("CONT"); // a stopped process dies of SIGKILL too, but its pause is over either way
    }
    p.destroyForcibly(); // SIGKILL on Linux
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException(name + " (pid " + p.pid() + ") did not die of SIGKILL within 30 s");
    }
  }

  /**
   * SIGSTOP, returning once the process is stopped: the kernel delivers SIGSTOP when the target next
   * runs, so a process busy on another core is still running for a moment after {@code kill} returns.
   */
  public synchronized void pause() throws InterruptedException {
    signal("STOP");
    paused = true;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (process.isAlive() && stateLetter(process.pid()) != 'T') {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(name + " (pid " + process.pid() + ") was not stopped 5 s after SIGSTOP");
      }
      Thread.sleep(5);
    }
  }

  /** The process's state letter in {@code /proc/PID/stat} (R, S, T for stopped, …), or 'X' when it is gone. */
  static char stateLetter(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"), StandardCharsets.US_ASCII);
      return stat.charAt(stat.lastIndexOf(')') + 2);
    } catch (IOException e) {
      return 'X';
    }
  }

  public synchronized void resume() {
    if (paused) {
      signal("CONT");
      paused = false;
    }
  }

  private void signal(String sig) {
    try {
      Process k = new ProcessBuilder("kill", "-" + sig, Long.toString(process.pid())).redirectErrorStream(true).start();
      String out = new String(k.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (k.waitFor() != 0) {
        throw new IllegalStateException("kill -" + sig + " " + process.pid() + " (" + name + ") failed: " + out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("kill -" + sig + " " + name, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while signalling " + name, e);
    }
  }

  /** SIGTERM, then SIGKILL when it does not stop within {@code grace}. */
  public void stop(Duration grace) throws InterruptedException {
    Process p;
    synchronized (this) {
      p = process;
      if (p == null) {
        return;
      }
      resume();
    }
    p.toHandle().destroy();
    if (!p.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
