package io.capstan.controllers.nodelifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The grace periods and the Kubernetes-style durations the launcher flag takes. */
class NodeLifecycleConfigTest {

  @Test
  void durationsAsKubernetesFlagsWriteThem() {
    assertEquals(Duration.ofSeconds(40), NodeLifecycleConfig.parseDuration("40s"));
    assertEquals(Duration.ofSeconds(90), NodeLifecycleConfig.parseDuration("1m30s"));
    assertEquals(Duration.ofMillis(1500), NodeLifecycleConfig.parseDuration("1s500ms"));
    assertEquals(Duration.ofHours(1), NodeLifecycleConfig.parseDuration("1h"));
    assertEquals(Duration.ofSeconds(40), NodeLifecycleConfig.parseDuration("PT40S"));
    for (String bad : new String[] {"40", "forty", "40s ", "s", "-5s", "40x", ""}) {
      if (bad.equals("40s ")) {
        assertEquals(Duration.ofSeconds(40), NodeLifecycleConfig.parseDuration(bad), "surrounding blanks are trimmed");
        continue;
      }
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NodeLifecycleConfig.parseDuration(bad),
          bad);
      assertTrue(e.getMessage().contains(bad.isEmpty() ? "required" : bad), e.getMessage());
    }
  }

  @Test
  void gracePeriodsMustBePositiveAndStartupIsNeverShorter() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> NodeLifecycleConfig.withMonitorGracePeriod(Duration.ZERO));
    assertTrue(e.getMessage().contains("monitorGracePeriod must be positive"), e.getMessage());
    assertEquals(Duration.ofSeconds(60), NodeLifecycleConfig.withMonitorGracePeriod(Duration.ofSeconds(40))
        .startupGracePeriod());
    assertEquals(Duration.ofMinutes(5), NodeLifecycleConfig.withMonitorGracePeriod(Duration.ofMinutes(5))
        .startupGracePeriod());
  }
}
