package io.capstan.loadtests.robustness.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a fault does to a real process: its ready line per start, SIGSTOP/SIGCONT, kill -9 and a restart. */
class ClusterProcessTest {

  static ClusterProcess shell(Path dir, String script) {
    return new ClusterProcess("p", List.of("sh", "-c", script), dir, Pattern.compile("ready: (\\d+)"),
        Map.of("GREETING", "hello"));
  }

  static char state(long pid) {
    return ClusterProcess.stateLetter(pid);
  }

  @Test
  void pausedKilledAndRestartedEachStartSayingItIsReadyAgain(@TempDir Path dir) throws Exception {
    ClusterProcess p = shell(dir, "echo starting; echo \"ready: $$\"; echo $GREETING >&2; exec sleep 600");
    p.start();
    long first = Long.parseLong(p.awaitReady(Duration.ofSeconds(30)).group(1));
    assertEquals(p.pid(), first);

    p.pause();
    assertEquals('T', state(first), "stopped");
    p.resume();
    assertNotEquals('T', state(first));

    p.kill();
    assertFalse(p.alive());
    p.start();
    long second = Long.parseLong(p.awaitReady(Duration.ofSeconds(30)).group(1));
    assertNotEquals(first, second, "the wait is for this start's ready line, not the last one's");
    assertTrue(p.stderrTail().contains("hello"), p.stderrTail());
    assertEquals(2, Files.readAllLines(dir.resolve("stdout.log")).stream().filter(l -> l.startsWith("ready:")).count());

    p.pause();
    p.stop(Duration.ofSeconds(10)); // a paused process is resumed to receive SIGTERM
    assertFalse(p.alive());
  }

  @Test
  void aProcessThatExitsBeforeItIsReadyFailsTheWaitWithItsStderr(@TempDir Path dir) {
    ClusterProcess p = shell(dir, "echo 'cannot start: no broker' >&2; exit 3");
    p.start();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> p.awaitReady(Duration.ofSeconds(30)));
    assertTrue(e.getMessage().contains("exited 3") && e.getMessage().contains("cannot start: no broker"), e.getMessage());
  }
}
