package io.capstan.nodeagent.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.stateviews.testing.KafkaFixture;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What this machine (a test box with a few hundred processes at most) tells the node: no
 * pressure. A node that wrongly posts PIDPressure gets the pid-pressure NoSchedule taint and
 * nothing schedules on it.
 */
class MachinePressureTest {
  @Test
  void aQuietMachineIsUnderNoPressure() {
    long pidMax = MachineInfo.firstLine(Path.of("/proc/sys/kernel/pid_max")).map(Long::parseLong).orElse(0L);
    assertTrue(pidMax >= 1024, "pid_max read as " + pidMax);
    assertFalse(NodeStatusReporter.pidPressure(), "a few hundred processes are no PID pressure");
    Map<String, Boolean> p = NodeStatusReporter.machinePressure(KafkaFixture.tempDir("pressure")).get();
    assertEquals(Boolean.FALSE, p.get("PIDPressure"), p.toString());
  }
}
