package io.capstan.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's "Pulling images from a registry", run as written against {@code capstan up} with a
 * real runc node: a Debian docker-registry on 127.0.0.1:5000, a one-layer busybox image pushed with
 * skopeo, and a pod that runs it after the node agent pulled it.
 */
@SharedUp.Uses(SharedUp.Kind.RUNC)
class ReadmePullExampleTest {
  private static final String SECTION = "## Pulling images from a registry";

  @Test
  void thePullExampleWorksAsWritten() throws Exception {
    for (String[] tool : new String[][] {{"/usr/bin/docker-registry", "docker-registry"}, {"/usr/bin/skopeo", "skopeo"},
        {"/usr/bin/curl", "curl"}, {"/bin/busybox", "busybox-static"}}) {
      if (!Files.isExecutable(Path.of(tool[0]))) {
        fail(tool[0] + " is missing: apt-get install -y " + tool[1] + " (./capstan test installs it)");
      }
    }
    try (ServerSocket s = new ServerSocket(5000, 1, InetAddress.getLoopbackAddress())) {
      // free: the README's registry can listen there
    } catch (java.io.IOException e) {
      fail("the README's example runs a registry on 127.0.0.1:5000, which is taken here: " + e.getMessage());
    }
    List<String> blocks = ReadmeScript.blocks(SECTION);
    assertEquals(2, blocks.size(), "the section has its two steps");
    SharedUp.scenario(SharedUp.Kind.RUNC, "readme-pull", cluster -> {
      ReadmeScript.Result result;
      try {
        result = ReadmeScript.run(cluster.work(), blocks, Map.of("KUBECONFIG", cluster.kubeconfig().toString()),
            Duration.ofMinutes(6));
      } finally {
        stopRegistry(cluster.work()); // the script's `kill %1` does it, unless the script stopped first
      }
      result.assertSucceeded("the README's pull example");
      String out = result.output();
      assertTrue(Pattern.compile("(?m)^Pulling +Pulling image \"127\\.0\\.0\\.1:5000/team/sleeper:1\"$").matcher(out).find(),
          "a Pulling event:\n" + out);
      assertTrue(Pattern.compile("(?m)^Pulled +Successfully pulled image \"127\\.0\\.0\\.1:5000/team/sleeper:1\" in "
          + "[0-9.]+s\\. Image size: [0-9]+ bytes\\.$").matcher(out).find(), "a Pulled event:\n" + out);
      assertTrue(Pattern.compile("(?m)^Started +Started container sleeper$").matcher(out).find(), out);
      assertTrue(Pattern.compile("(?m)^127\\.0\\.0\\.1:5000/team/sleeper@sha256:[0-9a-f]{64}$").matcher(out).find(),
          "the pod reports the image's repository digest:\n" + out);
    }, null);
  }

  /** Any docker-registry whose working directory is {@code work} (the README starts it there). */
  private static void stopRegistry(Path work) {
    ProcessHandle.allProcesses()
        .filter(p -> p.info().command().map(c -> c.endsWith("docker-registry")).orElse(false))
        .filter(p -> {
          try {
            return Files.readSymbolicLink(Path.of("/proc", Long.toString(p.pid()), "cwd")).equals(work.toRealPath());
          } catch (java.io.IOException e) {
            return false;
          }
        })
        .forEach(ProcessHandle::destroy);
  }
}
