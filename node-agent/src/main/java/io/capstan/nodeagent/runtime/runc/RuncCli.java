package io.capstan.nodeagent.runtime.runc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.capstan.nodeagent.runtime.RuntimeFailure;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The runc command line on one {@code --root}, shared by the agent's runtime (exec, delete) and
 * the runtime supervisor (create, start, delete). Remembers the pids of the runc processes it
 * runs while they run, so a subreaper's orphan reaper leaves them to Java.
 */
public final class RuncCli {
  static final int OUTPUT_CAP = 10 * 1024;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String runc;
  private final Path root;
  private final Set<Integer> running = ConcurrentHashMap.newKeySet();

  /** What one runc call did; {@code output} is stdout and stderr together, capped. */
  public record Result(int exitCode, String output, boolean timedOut) {}

  public RuncCli(String runc, Path root) {
    this.runc = runc;
    this.root = root;
  }

  public String binary() {
    return runc;
  }

  /** Whether {@code pid} is a runc process this CLI started and has not reaped yet. */
  public boolean isOurs(int pid) {
    return running.contains(pid);
  }

  /** The command line of a runc call on this root, for a caller that runs it itself (with its streams attached). */
  public List<String> command(List<String> args) {
    List<String> cmd = new ArrayList<>(List.of(runc, "--root", root.toString()));
    cmd.addAll(args);
    return cmd;
  }

  public Result run(List<String> args, Duration timeout) {
    return run(args, timeout, null, null);
  }

  /** Runs runc; with {@code stdout}/{@code stderr} files its output goes there instead of being captured. */
  public Result run(List<String> args, Duration timeout, File stdout, File stderr) {
    return run(args, timeout, null, stdout, stderr);
  }

  /** As {@link #run(List, Duration, File, File)}, with its stdin from {@code stdin} (null: {@code /dev/null}). */
  public Result run(List<String> args, Duration timeout, File stdin, File stdout, File stderr) {
    List<String> cmd = new ArrayList<>();
    cmd.add(runc);
    cmd.add("--root");
    cmd.add(root.toString());
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd)
        .redirectInput(ProcessBuilder.Redirect.from(stdin == null ? new File("/dev/null") : stdin));
    if (stdout != null) {
      pb.redirectOutput(stdout).redirectError(stderr);
    } else {
      pb.redirectErrorStream(true);
    }
    try {
      Process p = pb.start();
      running.add((int) p.pid());
      try {
        return await(p, stdout == null, timeout);
      } finally {
        running.remove((int) p.pid());
      }
    } catch (IOException e) {
      throw new RuntimeFailure("RunContainerError", "cannot run " + runc + " " + args + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RuntimeFailure("RunContainerError", "interrupted while running runc " + args.get(0), e);
    }
  }

  private static Result await(Process p, boolean capture, Duration timeout) throws InterruptedException {
    StringBuilder out = new StringBuilder();
    Thread reader = null;
    if (capture) {
      reader = new Thread(() -> {
        try (InputStream in = p.getInputStream()) {
          byte[] all = in.readNBytes(OUTPUT_CAP);
          synchronized (out) {
            out.append(new String(all, StandardCharsets.UTF_8));
          }
          in.transferTo(java.io.OutputStream.nullOutputStream());
        } catch (IOException ignored) {
          // the process went away
        }
      });
      reader.setDaemon(true);
      reader.start();
    }
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      // SIGTERM first: runc forwards it to the process it runs (e.g. an exec probe's command) and
      // then exits and reaps its own children; SIGKILL would orphan them.
      p.destroy();
      if (!p.waitFor(2, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
      }
      return new Result(-1, "timed out after " + timeout, true);
    }
    if (reader != null) {
      reader.join(1000);
    }
    synchronized (out) {
      return new Result(p.exitValue(), out.toString(), false);
    }
  }

  /** runc's error for a failed call: the last error it logged to {@code <dir>/runc.log} as JSON, else its output. */
  public static String error(Path dir, Result r) {
    try {
      List<String> lines = Files.readAllLines(dir.resolve("runc.log"));
      for (int i = lines.size() - 1; i >= 0; i--) {
        JsonNode n = JSON.readTree(lines.get(i));
        if ("error".equals(n.path("level").asText())) {
          return n.path("msg").asText();
        }
      }
    } catch (IOException | RuntimeException ignored) {
      // fall back to what the CLI printed
    }
    return r.output().isBlank() ? "exit code " + r.exitCode() : r.output().trim();
  }
}
