package io.capstan.controllers.deployment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.controllers.deployment.RolloutPlanner.Fenceposts;
import io.capstan.controllers.deployment.RolloutPlanner.Rollout;
import io.capstan.controllers.deployment.RolloutPlanner.SetState;
import io.capstan.controllers.deployment.RolloutPlanner.Step;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RolloutPlannerTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void percentagesRoundSurgeUpAndUnavailableDown() {
    assertEquals(new Fenceposts(3, 2), RolloutPlanner.fenceposts(Rollout.rolling(10, "25%", "25%")));
    assertEquals(new Fenceposts(1, 0), RolloutPlanner.fenceposts(Rollout.rolling(1, "25%", "25%")));
    assertEquals(new Fenceposts(1, 1), RolloutPlanner.fenceposts(Rollout.rolling(4, null, null)), "defaults 25%/25%");
    assertEquals(new Fenceposts(2, 0), RolloutPlanner.fenceposts(Rollout.rolling(7, 2, 0)));
    assertEquals(new Fenceposts(1, 0), RolloutPlanner.fenceposts(Rollout.rolling(3, "10%", "10%")),
        "10% of 3: surge rounds up to 1, unavailable down to 0");
    assertEquals(new Fenceposts(0, 1), RolloutPlanner.fenceposts(Rollout.rolling(3, "0%", "20%")),
        "0% surge, 20% of 3 rounds down to 0 unavailable, then 1");
    assertEquals(5, IntOrPercent.scaled("50%", null, 9, true));
    assertEquals(4, IntOrPercent.scaled("50%", null, 9, false));
    assertEquals(3, IntOrPercent.scaled("3", null, 9, false));
    assertThrows(IllegalArgumentException.class, () -> IntOrPercent.scaled("lots", null, 9, false));
  }

  @Test
  void maxUnavailableIsCappedAtReplicasAndZeroForRecreate() {
    assertEquals(3, RolloutPlanner.maxUnavailable(Rollout.rolling(3, 1, 10)));
    assertEquals(0, RolloutPlanner.maxUnavailable(Rollout.rolling(0, 1, 1)));
    assertEquals(0, RolloutPlanner.maxUnavailable(Rollout.recreate(5)));
  }

  @Test
  void firstStepSurgesTheNewSet() {
    Rollout d = Rollout.rolling(10, "25%", "25%");
    Step s = RolloutPlanner.rollingStep(d, set("new", 0, 0), List.of(set("old", 10, 10)));
    assertEquals(Map.of("new", 3), s.scale(), "10 + ceil(2.5)=3 surge");
  }

  @Test
  void oldSetsGoDownOnlyWithinTheUnavailabilityBudget() {
    Rollout d = Rollout.rolling(10, "25%", "25%");
    // new has 3 not yet available: total 13, min available 8 -> old may go down by 13-8-3 = 2
    Step s = RolloutPlanner.rollingStep(d, set("new", 3, 0), List.of(set("old", 10, 10)));
    assertEquals(Map.of("old", 8), s.scale());
  }

  @Test
  void unhealthyOldPodsAreRemovedFirst() {
    Rollout d = Rollout.rolling(4, 0, 1);
    // old-a has 2 unavailable pods: those go first and cost no availability
    Step s = RolloutPlanner.rollingStep(d, set("new", 0, 0), List.of(set("old-a", 2, 0, T0), set("old-b", 2, 2, T0.plusSeconds(1))));
    // maxScaledDown = 4 - 3 - 0 = 1: clean one unhealthy pod; available 2 > minAvailable 3? no -> no further
    assertEquals(Map.of("old-a", 1), s.scale());
  }

  @Test
  void newSetAboveDesiredIsScaledDown() {
    Step s = RolloutPlanner.rollingStep(Rollout.rolling(2, 1, 0), set("new", 5, 5), List.of());
    assertEquals(Map.of("new", 2), s.scale());
  }

  @Test
  void recreateScalesOldToZeroThenWaitsForPodsThenScalesUp() {
    Rollout d = Rollout.recreate(3);
    assertEquals(Map.of("old", 0), RolloutPlanner.recreateStep(d, null, List.of(set("old", 3, 3)), true).scale());
    assertTrue(RolloutPlanner.recreateStep(d, set("new", 0, 0), List.of(set("old", 0, 0)), true).isEmpty());
    assertEquals(Map.of("new", 3), RolloutPlanner.recreateStep(d, set("new", 0, 0), List.of(set("old", 0, 0)), false).scale());
  }

  @Test
  void historyLimitKeepsTheNewestScaledDownSets() {
    List<SetState> byRevision = List.of(set("r1", 0, 0), set("r2", 0, 0), set("r3", 0, 0));
    assertEquals(List.of("r1"), RolloutPlanner.setsToClean(byRevision, 2));
    assertEquals(List.of("r1", "r2", "r3"), RolloutPlanner.setsToClean(byRevision, 0));
    assertEquals(List.of(), RolloutPlanner.setsToClean(byRevision, 10));
  }

  /**
   * A whole rolling update simulated step by step for many shapes: after every step the total of
   * spec.replicas stays within replicas + maxSurge and the available pods never drop below
   * replicas - maxUnavailable; the rollout always finishes with all pods in the new set.
   */
  @Test
  void everyRollingUpdateStaysWithinItsBoundsAndFinishes() {
    Object[] values = {0, 1, 2, 3, "0%", "10%", "25%", "50%", "100%"};
    int cases = 0;
    for (int replicas = 0; replicas <= 12; replicas++) {
      for (Object surge : values) {
        for (Object unavailable : values) {
          Rollout d = Rollout.rolling(replicas, surge, unavailable);
          if (isZero(surge) && isZero(unavailable)) {
            continue; // refused by validation
          }
          for (int oldSets = 1; oldSets <= 2; oldSets++) {
            simulate(d, oldSets, replicas, surge, unavailable);
            cases++;
          }
        }
      }
    }
    assertTrue(cases > 1000, "cases " + cases);
  }

  private static boolean isZero(Object v) {
    return v.equals(0) || "0%".equals(v);
  }

  private static void simulate(Rollout d, int oldCount, int replicas, Object surge, Object unavailable) {
    int maxTotal = replicas + RolloutPlanner.maxSurge(d);
    int minAvailable = replicas - RolloutPlanner.maxUnavailable(d);
    // the old pods are split over the old sets, all available
    Map<String, int[]> sets = new LinkedHashMap<>(); // name -> {replicas, available}
    for (int i = 0; i < oldCount; i++) {
      int share = replicas / oldCount + (i < replicas % oldCount ? 1 : 0);
      sets.put("old" + i, new int[] {share, share});
    }
    sets.put("new", new int[] {0, 0});
    String label = "replicas=" + replicas + " surge=" + surge + " unavailable=" + unavailable + " old=" + oldCount;
    for (int step = 0; step < 200; step++) {
      List<SetState> old = new ArrayList<>();
      int i = 0;
      for (var e : sets.entrySet()) {
        if (!e.getKey().equals("new")) {
          old.add(new SetState(e.getKey(), e.getValue()[0], e.getValue()[1], T0.plusSeconds(i++)));
        }
      }
      int[] n = sets.get("new");
      Step s = RolloutPlanner.rollingStep(d, new SetState("new", n[0], n[1], T0.plusSeconds(100)), old);
      if (s.isEmpty()) {
        // pods of the new set become available (as a node agent would make them ready)
        if (n[1] < n[0]) {
          n[1] = n[0];
          continue;
        }
        break;
      }
      s.scale().forEach((name, r) -> {
        int[] st = sets.get(name);
        st[0] = r;
        st[1] = Math.min(st[1], r); // scaled-down pods are gone at once
      });
      int total = sets.values().stream().mapToInt(x -> x[0]).sum();
      int available = sets.values().stream().mapToInt(x -> x[1]).sum();
      assertTrue(total <= Math.max(maxTotal, replicas), label + ": total " + total + " above " + maxTotal + " at step " + step);
      assertTrue(available >= Math.min(minAvailable, replicas), label + ": available " + available + " below " + minAvailable
          + " at step " + step);
    }
    int[] n = sets.get("new");
    assertEquals(replicas, n[0], label + ": the new set did not reach the replicas");
    for (var e : sets.entrySet()) {
      if (!e.getKey().equals("new")) {
        assertEquals(0, e.getValue()[0], label + ": " + e.getKey() + " not scaled down");
      }
    }
  }

  private static SetState set(String name, int replicas, int available) {
    return new SetState(name, replicas, available, T0);
  }

  private static SetState set(String name, int replicas, int available, Instant created) {
    return new SetState(name, replicas, available, created);
  }
}
