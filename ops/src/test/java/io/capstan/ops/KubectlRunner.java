package io.capstan.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** The real kubectl against a cluster the test started, by its kubeconfig (the environment's KUBECONFIG ignored). */
final class KubectlRunner {
  private KubectlRunner() {}

  /** What one kubectl run gave: its exit status, stdout (trimmed) and stderr. */
  record Result(int exit, String out, String err) {}

  static Result run(Path kubeconfig, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("kubectl", "--kubeconfig", kubeconfig.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().remove("KUBECONFIG");
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    byte[] err = p.getErrorStream().readAllBytes();
    if (!p.waitFor(240, TimeUnit.SECONDS)) { // a bound on a hung kubectl: rollout status waits
      p.destroyForcibly();
      fail("kubectl " + String.join(" ", args) + " did not finish");
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8).trim(),
        new String(err, StandardCharsets.UTF_8));
  }

  /** Runs kubectl, which must succeed; its stdout. */
  static String kubectl(Path kubeconfig, String... args) throws IOException, InterruptedException {
    Result r = run(kubeconfig, args);
    assertEquals(0, r.exit(), "kubectl " + String.join(" ", args) + ": " + r.out() + r.err());
    return r.out();
  }

  /** Runs kubectl until it succeeds with output containing {@code expected} (the object may not exist yet). */
  static String await(Path kubeconfig, Duration timeout, String what, String expected, String... args) throws Exception {
    return await(kubeconfig, timeout, what, out -> !out.isEmpty() && out.contains(expected), args);
  }

  /** Runs kubectl until it succeeds with output {@code done} accepts; that output. */
  static String await(Path kubeconfig, Duration timeout, String what, Predicate<String> done, String... args)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    Result last = null;
    while (System.nanoTime() < deadline) {
      last = run(kubeconfig, args);
      if (last.exit() == 0 && done.test(last.out())) {
        return last.out();
      }
      Thread.sleep(300);
    }
    fail("timed out waiting for " + what + ": " + last);
    return null;
  }
}
