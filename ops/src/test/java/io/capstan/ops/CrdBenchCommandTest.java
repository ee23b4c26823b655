package io.capstan.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@code capstan bench crd}: listed under bench, documented flags, bad settings named before anything starts. */
class CrdBenchCommandTest {

  @Test
  void benchListsItAndItsHelpNamesTheFlagsAndTheJsonLine() {
    CapstanCommandLineTest.Run bench = CapstanCommandLineTest.run("bench", "--help");
    assertTrue(bench.out().contains("\n  crd "), bench.out());
    CapstanCommandLineTest.Run r = CapstanCommandLineTest.run("bench", "crd", "--help");
    assertEquals(0, r.status(), r.err());
    for (String flag : new String[] {"--kubeconfig", "--rate", "--get-rate", "--pool", "--definitions", "--seconds"}) {
      assertTrue(r.out().contains(flag), flag + " in:\n" + r.out());
    }
    assertTrue(r.out().contains("\"bench\":\"crd\"") && r.out().contains("\"establish_p99_ms\""), r.out());
  }

  @Test
  void badSettingsAreUsageErrorsNamingTheFlag() {
    CapstanCommandLineTest.Run r = CapstanCommandLineTest.run("bench", "crd", "--rate", "0", "--get-rate", "-1");
    assertEquals(2, r.status(), r.err());
    assertTrue(r.err().contains("--rate must be positive (was 0)") && r.err().contains("--get-rate must not be negative"),
        r.err());
  }
}
