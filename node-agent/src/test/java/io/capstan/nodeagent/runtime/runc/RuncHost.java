package io.capstan.nodeagent.runtime.runc;

import static org.junit.jupiter.api.Assertions.fail;

import io.capstan.nodeagent.image.BusyboxImage;

/** What tests with real containers need from the machine; a missing piece fails the test, naming the package. */
public final class RuncHost {
  private RuncHost() {}

  public static void require() {
    if (RuncRuntime.findRunc().isEmpty()) {
      fail("runc is not installed: apt-get install -y " + RuncRuntime.PACKAGE + " (./capstan test installs it)");
    }
    if (BusyboxImage.hostBinary().isEmpty()) {
      fail("no static busybox: apt-get install -y " + BusyboxImage.PACKAGE + " (./capstan test installs it)");
    }
    if (!"root".equals(System.getProperty("user.name"))) {
      fail("containers with runc need root (run the tests as root)");
    }
  }
}
