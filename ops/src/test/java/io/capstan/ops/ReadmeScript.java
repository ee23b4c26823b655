package io.capstan.ops;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A README section's {@code sh} blocks, run as written: in order, by one bash with {@code set
 * -euo pipefail}, in a work directory, {@code ./capstan} being the launcher main class the tests
 * build. What the README shows is then what a test saw.
 */
final class ReadmeScript {
  static final Path README = Path.of("..", "README.md");

  private ReadmeScript() {}

  /** What the script printed (stdout and stderr, with bash's trace), whether it ended in time, and its exit status. */
  record Result(boolean done, int exit, String output) {
    void assertSucceeded(String what) {
      assertTrue(done, what + " did not finish in time:\n" + output);
      assertTrue(exit == 0, what + " failed with exit status " + exit + ":\n" + output);
    }
  }

  /** The {@code sh} blocks of the README section headed {@code heading} (e.g. "## A five-minute tour"), in order. */
  static List<String> blocks(String heading) throws java.io.IOException {
    String readme = Files.readString(README);
    int start = readme.indexOf(heading + "\n");
    assertTrue(start >= 0, "README.md has a section '" + heading + "'");
    int end = readme.indexOf("\n## ", start + heading.length());
    String section = readme.substring(start, end < 0 ? readme.length() : end);
    List<String> blocks = new ArrayList<>();
    Matcher m = Pattern.compile("```sh\n(.*?)```", Pattern.DOTALL).matcher(section);
    while (m.find()) {
      blocks.add(m.group(1));
    }
    return blocks;
  }

  /** Runs {@code blocks} in {@code work} with {@code env} added to this process's environment (KUBECONFIG removed). */
  static Result run(Path work, List<String> blocks, Map<String, String> env, Duration within) throws Exception {
    StringBuilder script = new StringBuilder("""
        set -euo pipefail
        capstan() { "$CAPSTAN_JAVA" -cp "$CAPSTAN_CP" -Dlog4j2.configurationFile=log4j2.xml io.capstan.ops.Capstan "$@"; }
        set -x
        """);
    for (String block : blocks) {
      script.append(block.replaceAll("(?m)^\\./capstan ", "capstan ")).append('\n');
    }
    Path file = Files.writeString(work.resolve("readme.sh"), script);
    Path output = work.resolve("readme.out");
    ProcessBuilder pb = new ProcessBuilder("bash", file.toString()).directory(work.toFile())
        .redirectErrorStream(true).redirectOutput(output.toFile());
    pb.environment().remove("KUBECONFIG");
    pb.environment().put("CAPSTAN_CP", System.getProperty("java.class.path"));
    pb.environment().put("CAPSTAN_JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
    pb.environment().putAll(env);
    Process bash = pb.start();
    boolean done = bash.waitFor(within.toSeconds(), TimeUnit.SECONDS);
    if (!done) {
      bash.descendants().forEach(ProcessHandle::destroyForcibly);
      bash.destroyForcibly().waitFor();
    }
    return new Result(done, done ? bash.exitValue() : -1, Files.readString(output, StandardCharsets.UTF_8));
  }
}
