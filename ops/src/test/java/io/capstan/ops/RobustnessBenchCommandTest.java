package io.capstan.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@code capstan bench robustness}: listed under bench, documented flags, bad settings named before anything starts. */
class RobustnessBenchCommandTest {

  @Test
  void benchListsItAndItsHelpNamesTheFlagsAndTheJsonLine() {
    CapstanCommandLineTest.Run bench = CapstanCommandLineTest.run("bench", "--help");
    assertTrue(bench.out().contains("\n  robustness "), bench.out());
    CapstanCommandLineTest.Run r = CapstanCommandLineTest.run("bench", "robustness", "--help");
    assertEquals(0, r.status(), r.err());
    for (String flag : new String[] {"--seconds", "--seed", "--clients", "--keys", "--watchers", "--kubeconfig"}) {
      assertTrue(r.out().contains(flag), flag + " in:\n" + r.out());
    }
    assertTrue(r.out().contains("\"bench\":\"robustness\"") && r.out().contains("\"lost_acknowledged_writes\""),
        r.out());
  }

  @Test
  void badSettingsAreUsageErrorsNamingTheFlag() {
    CapstanCommandLineTest.Run r = CapstanCommandLineTest.run("bench", "robustness", "--seconds", "0");
    assertEquals(2, r.status(), r.err());
    assertTrue(r.err().contains("--seconds, --clients, --keys and --partitions must be positive"), r.err());
  }
}
