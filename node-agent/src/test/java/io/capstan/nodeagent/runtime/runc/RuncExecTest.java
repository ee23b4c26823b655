package io.capstan.nodeagent.runtime.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.nodeagent.image.BusyboxImage;
import io.capstan.nodeagent.image.ImageStore;
import io.capstan.nodeagent.runtime.ContainerConfig;
import io.capstan.nodeagent.runtime.ContainerInfo;
import io.capstan.nodeagent.runtime.ExecProcess;
import io.capstan.nodeagent.runtime.ImageInfo;
import io.capstan.nodeagent.runtime.RuntimeFailure;
import io.capstan.nodeagent.runtime.SandboxConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code runc exec} with the command's streams attached, with and without a terminal, in a real container. */
class RuncExecTest {
  @TempDir static Path dir;
  static RuncRuntime runtime;
  static String sandbox;
  static String sleeper;

  @BeforeAll
  static void setUp() {
    RuncHost.require();
    ImageInfo busybox = BusyboxImage.seed(new ImageStore(dir.resolve("images")));
    runtime = new RuncRuntime(dir.resolve("runtime"), new SimpleMeterRegistry(), Clock.systemUTC());
    String uid = UUID.randomUUID().toString();
    sandbox = runtime.runPodSandbox(new SandboxConfig(uid, "default", "exec-" + uid.substring(0, 5), "p", true));
    sleeper = runtime.createContainer(sandbox, new ContainerConfig("sleeper", 0, busybox, List.of("sleep", "1000"),
        List.of("PATH=/bin:/usr/bin"), "", List.of(), ContainerConfig.Resources.none(),
        ContainerConfig.Security.defaults(), dir.resolve("logs/sleeper/0.log")));
    runtime.startContainer(sleeper);
  }

  @AfterAll
  static void tearDown() {
    if (runtime != null) {
      if (sandbox != null) {
        runtime.removePodSandbox(sandbox);
      }
      runtime.close();
    }
  }

  @Test
  void withoutATerminalStdinStdoutStderrAndTheExitCodeAreTheCommands() throws Exception {
    try (ExecProcess p = runtime.exec(sleeper, List.of("sh", "-c", "tr a-z A-Z; echo oops >&2; exit 7"), false, 0, 0)) {
      CompletableFuture<String> out = readAll(p.stdout());
      CompletableFuture<String> err = readAll(p.stderr());
      p.stdin().write("hello exec\n".getBytes(StandardCharsets.UTF_8));
      p.stdin().close();
      assertEquals(7, p.waitFor());
      assertEquals("HELLO EXEC\n", out.get(10, TimeUnit.SECONDS));
      assertEquals("oops\n", err.get(10, TimeUnit.SECONDS));
    }
  }

  @Test
  void withATerminalTheCommandSeesItsSizeAndAResize() throws Exception {
    try (ExecProcess p = runtime.exec(sleeper, List.of("sh", "-c", "test -t 0 && echo tty; stty size; read x; stty size"),
        true, 91, 27)) {
      assertNull(p.stderr(), "a terminal has no separate stderr");
      StringBuilder seen = new StringBuilder();
      InputStream out = p.stdout();
      awaitText(out, seen, "27 91");
      p.resize(100, 40);
      Thread.sleep(200); // runc copies the size on SIGWINCH
      p.stdin().write("\n".getBytes(StandardCharsets.UTF_8));
      awaitText(out, seen, "40 100");
      assertEquals(0, p.waitFor());
      assertTrue(seen.toString().contains("tty"), seen.toString());
    }
  }

  @Test
  void aContainerThatIsNotRunningCannotExec() throws Exception {
    ImageInfo busybox = BusyboxImage.seed(new ImageStore(dir.resolve("images")));
    String done = runtime.createContainer(sandbox, new ContainerConfig("done", 0, busybox, List.of("true"),
        List.of("PATH=/bin"), "", List.of(), ContainerConfig.Resources.none(), ContainerConfig.Security.defaults(),
        dir.resolve("logs/done/0.log")));
    runtime.startContainer(done);
    assertTrue(runtime.awaitExit(done, Duration.ofSeconds(20)));
    assertEquals(ContainerInfo.State.EXITED, runtime.containerStatus(done).orElseThrow().state());
    RuntimeFailure f = assertThrows(RuntimeFailure.class, () -> runtime.exec(done, List.of("true"), false, 0, 0));
    assertTrue(f.getMessage().contains("is not running"), f.getMessage());
  }

  private static void awaitText(InputStream in, StringBuilder seen, String text) throws Exception {
    byte[] buf = new byte[256];
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!seen.toString().contains(text)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("\"" + text + "\" not shown; the terminal showed: " + seen);
      }
      int n = in.read(buf);
      if (n < 0) {
        throw new AssertionError("the terminal ended before \"" + text + "\"; it showed: " + seen);
      }
      seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
    }
  }

  private static CompletableFuture<String> readAll(InputStream in) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        in.transferTo(b);
        return b.toString(StandardCharsets.UTF_8);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
  }
}
