package io.capstan.nodeagent.runtime.runc;

import org.junit.jupiter.api.Assertions;

/** What tests with real containers need from the machine; a missing piece fails the test, naming the package. */
public final class RuncHost {
  private RuncHost() {}

  public static void require() {
    RuncRuntime.machineProblem().ifPresent(Assertions::fail);
  }
}
