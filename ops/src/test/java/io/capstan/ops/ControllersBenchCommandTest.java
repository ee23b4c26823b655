package io.capstan.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@code capstan bench controllers}: listed under bench, documented flags, bad sizes named before anything starts. */
class ControllersBenchCommandTest {

  @Test
  void benchListsItAndItsHelpNamesTheFlagsAndTheJsonLine() {
    CapstanCommandLineTest.Run bench = CapstanCommandLineTest.run("bench", "--help");
    assertTrue(bench.out().contains("\n  controllers "), bench.out());
    CapstanCommandLineTest.Run r = CapstanCommandLineTest.run("bench", "controllers", "--help");
    assertEquals(0, r.status(), r.err());
    for (String flag : new String[] {"--deployments", "--replicas", "--kafka", "--namespaces", "--workers"}) {
      assertTrue(r.out().contains(flag), flag + " in:\n" + r.out());
    }
    assertTrue(r.out().contains("\"bench\":\"controllers\"") && r.out().contains("default: 1000"), r.out());
    assertTrue(r.out().contains("\"create_cpu_ms_per_pod\"") && r.out().contains("\"cpu_cores\""), r.out());
  }

  @Test
  void badSizesAreUsageErrorsNamingTheFlag() {
    CapstanCommandLineTest.Run r = CapstanCommandLineTest.run("bench", "controllers", "--deployments", "0");
    assertEquals(2, r.status(), r.err());
    assertTrue(r.err().contains("--deployments"), r.err());
    r = CapstanCommandLineTest.run("bench", "controllers", "--deployments", "5", "--namespaces", "6");
    assertEquals(2, r.status(), r.err());
    assertTrue(r.err().contains("--namespaces (6) must not exceed --deployments (5)"), r.err());
  }
}
