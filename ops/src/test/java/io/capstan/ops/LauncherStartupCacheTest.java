package io.capstan.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.stateviews.testing.KafkaFixture;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The {@code ./capstan} script's start-up cache, on a distribution laid out as its build leaves it
 * (ops/target/ops-*.jar and lib/, from this test's classpath) so the script does not build:
 * trained once for a server or bench command, used without a word from the JVM, trained again
 * when a jar changes, and a failed training leaves a working launcher that says why, once. The
 * training workload here is {@code --version} (CAPSTAN_AOT_TRAINING), not the minute-long one.
 * Without a Java 25 the script says once that it runs without the cache.
 */
class LauncherStartupCacheTest {
  private static final Path SCRIPT = Path.of("..", "capstan");

  record Run(int status, String out, String err) {}

  @Test
  void theCacheIsTrainedOnceUsedQuietlyAndRetrainedWhenAJarChanges() throws Exception {
    Path root = distribution();
    Path target = root.resolve("ops/target");
    Map<String, String> env = Map.of("CAPSTAN_AOT_TRAINING", "--version");

    Run first = run(root, env, "bench", "--help");
    assertEquals(0, first.status(), first.err());
    assertTrue(first.out().startsWith("Usage: capstan bench"), first.out());
    if (first.err().contains("no Java 25 or newer found")) {
      assertFalse(Files.exists(target.resolve("capstan.aot")), "no cache without Java 25");
      Run again = run(root, env, "bench", "--help");
      assertEquals("", again.err(), "said once per build");
      return;
    }
    assertTrue(first.err().contains("training the start-up cache"), first.err());
    assertTrue(first.err().contains("start-up cache ready"), first.err());
    assertTrue(Files.size(target.resolve("capstan.aot")) > 0);

    // used, and the JVM has nothing to say about it
    Run used = run(root, env, "bench", "--help");
    assertEquals(0, used.status(), used.err());
    assertEquals("", used.err(), "no training again, no JVM warning");
    Run logged = run(root, Map.of("CAPSTAN_JAVA_OPTS", "-Xlog:aot=info:stderr"), "bench", "--help");
    assertTrue(logged.err().contains("Opened AOT cache"), logged.err());
    assertFalse(logged.err().contains("[warning]") || logged.err().contains("[error"), logged.err());

    // a short command does not map it (it would cost more than it saves)
    Run version = run(root, Map.of("CAPSTAN_JAVA_OPTS", "-Xlog:aot=info:stderr"), "--version");
    assertFalse(version.err().contains("Opened AOT cache"), version.err());

    // a jar newer than the cache: the JVM would refuse the cache, so the script trains again
    Path jar = target.resolve("ops-0.1.0-test.jar");
    Files.setLastModifiedTime(jar, FileTime.fromMillis(
        Files.getLastModifiedTime(target.resolve("capstan.aot")).toMillis() + 1000));
    Run retrained = run(root, env, "bench", "--help");
    assertTrue(retrained.err().contains("start-up cache ready"), retrained.err());
    assertEquals("", run(root, env, "bench", "--help").err());

    // a failing training: the command still runs (without the cache), the reason is shown, once
    Files.delete(target.resolve("capstan.aot"));
    Map<String, String> failing = Map.of("CAPSTAN_AOT_TRAINING", "no-such-command");
    Run failed = run(root, failing, "bench", "--help");
    assertEquals(0, failed.status(), failed.err());
    assertTrue(failed.out().startsWith("Usage: capstan bench"), failed.out());
    assertTrue(failed.err().contains("training the start-up cache failed"), failed.err());
    assertTrue(failed.err().contains("no-such-command"), "the end of the training's log:\n" + failed.err());
    assertFalse(Files.exists(target.resolve("capstan.aot")));
    Run after = run(root, failing, "bench", "--help");
    assertEquals("", after.err(), "not tried again before the next build");

    // CAPSTAN_AOT=off: neither trained nor used
    Files.delete(target.resolve("capstan.aot.failed"));
    Run off = run(root, Map.of("CAPSTAN_AOT", "off", "CAPSTAN_JAVA_OPTS", "-Xlog:aot=info:stderr"), "bench", "--help");
    assertFalse(off.err().contains("training") || off.err().contains("Opened AOT cache"), off.err());
    assertFalse(Files.exists(target.resolve("capstan.aot")));
  }

  /** A copy of the script beside ops/target as a build leaves it: the ops jar, lib/ and the build stamp. */
  private static Path distribution() throws IOException {
    Path root = KafkaFixture.tempDir("launcher");
    Files.copy(SCRIPT, root.resolve("capstan"));
    root.resolve("capstan").toFile().setExecutable(true);
    Path target = Files.createDirectories(root.resolve("ops/target"));
    Path lib = Files.createDirectories(target.resolve("lib"));
    int n = 0;
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path p = Path.of(entry).toAbsolutePath().normalize();
      if (p.endsWith(Path.of("ops", "target", "classes"))) {
        jar(p, target.resolve("ops-0.1.0-test.jar"));
      } else if (p.endsWith(Path.of("ops", "target", "test-classes"))) {
        continue; // log4j2-test.xml would win over the distribution's log4j2.xml
      } else if (Files.isDirectory(p)) {
        jar(p, lib.resolve("dir-" + n++ + ".jar")); // a module of this reactor, not packaged yet
      } else if (Files.isRegularFile(p)) {
        Files.createSymbolicLink(lib.resolve(n++ + "-" + p.getFileName()), p);
      }
    }
    Files.writeString(target.resolve(".capstan-built"), "");
    return root;
  }

  private static void jar(Path dir, Path jar) throws IOException {
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar)); Stream<Path> files = Files.walk(dir)) {
      for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
        out.putNextEntry(new JarEntry(dir.relativize(f).toString().replace(File.separatorChar, '/')));
        Files.copy(f, out);
        out.closeEntry();
      }
    }
  }

  private static Run run(Path root, Map<String, String> env, String... args) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(Stream.concat(Stream.of("bash", root.resolve("capstan").toString()),
        Stream.of(args)).toList()).directory(root.toFile());
    pb.environment().remove("CAPSTAN_JAVA_OPTS");
    pb.environment().remove("CAPSTAN_AOT");
    pb.environment().remove("CAPSTAN_AOT_TRAINING");
    pb.environment().putAll(env);
    Path out = Files.createTempFile(root, "out-", ".txt");
    Path err = Files.createTempFile(root, "err-", ".txt");
    Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(
        ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    if (!p.waitFor(10, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("capstan " + List.of(args) + " did not finish: " + Files.readString(err));
    }
    return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
  }
}
