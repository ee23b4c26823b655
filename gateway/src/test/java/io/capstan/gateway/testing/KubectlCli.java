package io.capstan.gateway.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real {@code /usr/bin/kubectl} against a test gateway, for the kubectl tests: each call is
 * a process with the gateway's kubeconfig and its own cache dir, echoed to stdout with what it
 * printed, and killed after a minute.
 */
public final class KubectlCli {
  public static final String KUBECTL = "/usr/bin/kubectl";

  /** What one kubectl run gave. */
  public record Result(int exit, String out, String err) {
    public String both() {
      return "exit " + exit + "\nstdout:\n" + out + "\nstderr:\n" + err;
    }
  }

  private final Path kubeconfig;
  private final Path cacheDir;

  public KubectlCli(Path kubeconfig, Path cacheDir) {
    this.kubeconfig = kubeconfig;
    this.cacheDir = cacheDir;
  }

  /** Fails the test, saying what to install, when kubectl is missing. */
  public static void require() {
    if (!Files.isExecutable(Path.of(KUBECTL))) {
      fail("kubectl is not installed at " + KUBECTL + ": run `apt-get install kubernetes-client`");
    }
  }

  /** The command line of {@code kubectl ARGS} against the gateway (for tests that run it themselves). */
  public List<String> command(String... args) {
    List<String> cmd = new ArrayList<>(List.of(KUBECTL, "--kubeconfig", kubeconfig.toString(),
        "--cache-dir", cacheDir.toString()));
    cmd.addAll(List.of(args));
    return cmd;
  }

  public Result run(String... args) throws IOException, InterruptedException {
    return run(Map.of(), args);
  }

  public Result run(Map<String, String> env, String... args) throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(command(args)).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    builder.environment().putAll(env);
    Process p = builder.start();
    byte[] out = p.getInputStream().readAllBytes();
    byte[] err = p.getErrorStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("kubectl " + String.join(" ", args) + " did not finish in 60s");
    }
    Result r = new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    System.out.println("$ kubectl " + String.join(" ", args) + "\n" + r.out() + r.err());
    return r;
  }
}
