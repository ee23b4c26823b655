package io.capstan.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.scheduler.plugins.ScoringStrategy;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code capstan scheduler}'s flags: help, a config file, and a bad config named before anything starts. */
class SchedulerCommandTest {

  @Test
  void helpDescribesIt() {
    CapstanCommandLineTest.Run r = CapstanCommandLineTest.run("scheduler", "--help");
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().startsWith("Usage: capstan scheduler"), r.out());
    assertTrue(r.out().contains("--config"), r.out());
    assertTrue(CapstanCommandLineTest.run("--help").out().contains("\n  scheduler "));
  }

  @Test
  void theConfigFileIsRead(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("s.yaml");
    Files.writeString(f, "schedulerName: mine\npluginConfig: {NodeResourcesFit: {scoringStrategy: {type: MostAllocated}}}\n");
    SchedulerCommand c = CapstanCommandLineTest.parse(SchedulerCommand.class, "scheduler", "--kafka", "127.0.0.1:9", "--config", f.toString());
    assertEquals("mine", c.schedulerConfig().schedulerName());
    assertEquals(ScoringStrategy.MOST_ALLOCATED, c.schedulerConfig().scoringStrategy());
  }

  @Test
  void aBadKeyIsNamedWithExitStatusTwo(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("bad.yaml");
    Files.writeString(f, "plugins: {disabled: [NodeAfinity]}\n");
    CapstanCommandLineTest.Run r = CapstanCommandLineTest.run("scheduler", "--kafka", "127.0.0.1:9", "--config", f.toString(),
        "--data-dir", dir.resolve("data").toString());
    assertEquals(2, r.status(), r.out() + r.err());
    assertTrue(r.err().contains("plugins.disabled[0]: unknown plugin \"NodeAfinity\""), r.err());
  }

  @Test
  void leaderElectionIsOnByDefaultAsKubeSchedulersAndCanBeTurnedOff() {
    assertTrue(CapstanCommandLineTest.parse(SchedulerCommand.class, "scheduler", "--kafka", "127.0.0.1:9").leaderElect);
    assertTrue(!CapstanCommandLineTest.parse(SchedulerCommand.class, "scheduler", "--kafka", "127.0.0.1:9",
        "--no-leader-elect").leaderElect);
    assertTrue(CapstanCommandLineTest.run("scheduler", "--help").out().contains("--[no-]leader-elect"));
  }
}
