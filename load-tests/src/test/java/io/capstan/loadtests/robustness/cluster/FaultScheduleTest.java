package io.capstan.loadtests.robustness.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.loadtests.robustness.cluster.FaultSchedule.Action;
import io.capstan.loadtests.robustness.cluster.FaultSchedule.Fault;
import io.capstan.loadtests.robustness.cluster.FaultSchedule.Target;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FaultScheduleTest {
  static final ProcessCluster.Shape FULL = ProcessCluster.Shape.full(4);

  @Test
  void theSameSeedPlansTheSameScheduleAndAnotherSeedAnother() {
    List<Fault> a = FaultSchedule.plan(42, Duration.ofSeconds(600), FaultSchedule.DEFAULT_SPACING, FULL);
    List<Fault> b = FaultSchedule.plan(42, Duration.ofSeconds(600), FaultSchedule.DEFAULT_SPACING, FULL);
    List<Fault> c = FaultSchedule.plan(43, Duration.ofSeconds(600), FaultSchedule.DEFAULT_SPACING, FULL);
    assertEquals(a, b);
    assertNotEquals(a, c);
  }

  @Test
  void aTenMinuteRunHasAtLeastTwentyFaultsOfEveryKindInsideTheRun() {
    List<Fault> plan = FaultSchedule.plan(1, Duration.ofSeconds(600), FaultSchedule.DEFAULT_SPACING, FULL);
    assertTrue(plan.size() >= 20, plan.size() + " faults");
    Set<String> kinds = new HashSet<>();
    for (Fault f : plan) {
      kinds.add(f.action() + " " + f.target());
      assertTrue(f.at().compareTo(FaultSchedule.WARM_UP) >= 0 && f.at().toSeconds() <= 480, f.toString());
      assertTrue(f.downFor().toMillis() >= 1000 && f.downFor().toMillis() < 6000, f.toString());
    }
    assertEquals(FaultSchedule.kinds(FULL).size(), kinds.size(), kinds.toString());
    assertTrue(kinds.contains("KILL SCHEDULER_LEADER") && kinds.contains("PAUSE GATEWAY"), kinds.toString());
  }

  @Test
  void aShortRunStartsWithABrokerKillAndAProcessorKill() {
    for (long seed = 0; seed < 20; seed++) {
      List<Fault> plan = FaultSchedule.plan(seed, Duration.ofSeconds(150), Duration.ofSeconds(25), FULL);
      assertEquals(5, plan.size(), plan.toString());
      Set<Target> first = Set.of(plan.get(0).target(), plan.get(1).target());
      assertEquals(Set.of(Target.BROKER, Target.PROCESSOR), first, plan.toString());
      assertEquals(Action.KILL, plan.get(0).action());
      assertEquals(Action.KILL, plan.get(1).action());
    }
  }

  @Test
  void aRoleWithOneInstanceIsNotHurtAndTooShortARunHasNoFaults() {
    ProcessCluster.Shape small = new ProcessCluster.Shape(3, 1, 2, 0, 1, 0, 2);
    List<Fault> plan = FaultSchedule.plan(3, Duration.ofSeconds(300), Duration.ofSeconds(10), small);
    assertFalse(plan.isEmpty());
    for (Fault f : plan) {
      assertTrue(f.target() == Target.BROKER || f.target() == Target.GATEWAY, f.toString());
      assertTrue(f.instance() < (f.target() == Target.BROKER ? 3 : 2), f.toString());
    }
    assertEquals(List.of(), FaultSchedule.plan(3, Duration.ofSeconds(20), Duration.ofSeconds(10), small));
  }
}
