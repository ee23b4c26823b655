package io.capstan.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's "Exec, attach, cp and run -it", run as written against {@code capstan up} with a
 * real runc node: exec with an exit code, cp both ways, run -i --rm with stdin, and a
 * port-forward to busybox's httpd in the pod.
 */
@SharedUp.Uses(SharedUp.Kind.RUNC)
class ReadmeExecExampleTest {
  private static final String SECTION = "## Exec, attach, cp and run -it";

  @Test
  void theExecExamplesWorkAsWritten() throws Exception {
    if (!Files.isExecutable(Path.of("/usr/bin/curl"))) {
      fail("/usr/bin/curl is missing: apt-get install -y curl (./capstan test installs it)");
    }
    List<String> blocks = ReadmeScript.blocks(SECTION);
    assertEquals(2, blocks.size(), "the section has its two steps");
    SharedUp.scenario(SharedUp.Kind.RUNC, "readme-exec", cluster -> {
      ReadmeScript.Result result = ReadmeScript.run(cluster.work(), blocks,
          Map.of("KUBECONFIG", cluster.kubeconfig().toString()), Duration.ofMinutes(5));
      result.assertSucceeded("the README's exec examples");
      String out = result.output();
      for (String line : List.of("out", "command terminated with exit code 3", "exit 3", "my notes", "got: hi")) {
        assertTrue(Pattern.compile("(?m)^" + Pattern.quote(line) + "\\r?$").matcher(out).find(),
            "the output has the line \"" + line + "\":\n" + out);
      }
      // once from the file kubectl cp brought out, once through the port-forward
      assertEquals(2, Pattern.compile("(?m)^hello-from-web\\r?$").matcher(out).results().count(), out);
    }, null);
  }
}
