package io.capstan.controllers.nodelifecycle;

import static io.capstan.controllers.nodelifecycle.Nodes.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.capstan.api.Pod;
import io.capstan.api.Taint;
import io.capstan.controllers.nodelifecycle.TaintEviction.Decision;
import io.capstan.logschema.taints.TaintKeys;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Taint-based eviction of one pod (processPodOnNode, getMinTolerationTime). */
class TaintEvictionTest {
  private static final Instant CREATED = T0.minusSeconds(600);
  private static final List<Taint> UNREACHABLE = List.of(Nodes.unreachable(T0));

  private static Decision decide(Pod p, List<Taint> taints, Instant now) {
    return TaintEviction.decide(p, taints, now, now);
  }

  @Test
  void noNoExecuteTaintsNothingHappens() {
    assertEquals(TaintEviction.STAY, decide(Nodes.pod("p", CREATED, List.of()), List.of(), T0));
  }

  @Test
  void aPodThatDoesNotTolerateGoesAtOnce() {
    Decision d = decide(Nodes.pod("p", CREATED, List.of()), UNREACHABLE, T0);
    assertEquals(new Decision.EvictNow(UNREACHABLE.get(0), true), d);
    Decision other = decide(Nodes.pod("p", CREATED, List.of(Nodes.tolerate(TaintKeys.NOT_READY, null))), UNREACHABLE, T0);
    assertInstanceOf(Decision.EvictNow.class, other, "a toleration of another key does not help");
  }

  @Test
  void aPodThatToleratesForSecondsGoesWhenTheyAreUpCountedFromTimeAdded() {
    Pod p = Nodes.pod("p", CREATED, List.of(Nodes.tolerate(TaintKeys.UNREACHABLE, 2L)));
    assertEquals(new Decision.EvictAt(T0.plusSeconds(2), UNREACHABLE.get(0)), decide(p, UNREACHABLE, T0.plusMillis(500)));
    assertInstanceOf(Decision.EvictAt.class, decide(p, UNREACHABLE, T0.plusMillis(1999)));
    assertInstanceOf(Decision.EvictNow.class, decide(p, UNREACHABLE, T0.plusSeconds(2)));
  }

  @Test
  void aPodThatToleratesForeverStays() {
    Pod p = Nodes.pod("p", CREATED, List.of(Nodes.tolerate(TaintKeys.UNREACHABLE, null)));
    assertEquals(TaintEviction.STAY, decide(p, UNREACHABLE, T0.plusSeconds(100_000)));
    Pod everything = Nodes.pod("p", CREATED, List.of(io.capstan.api.Toleration.newBuilder().setOperator("Exists").build()));
    assertEquals(TaintEviction.STAY, decide(everything, UNREACHABLE, T0.plusSeconds(100_000)));
  }

  @Test
  void theSmallestSecondsOfTheTolerationsUsedWinsAndZeroMeansNow() {
    List<Taint> both = List.of(Nodes.unreachable(T0), Nodes.taint("dedicated", TaintKeys.NO_EXECUTE, T0));
    Pod p = Nodes.pod("p", CREATED, List.of(Nodes.tolerate(TaintKeys.UNREACHABLE, 300L),
        Nodes.tolerate("dedicated", 30L)));
    assertEquals(new Decision.EvictAt(T0.plusSeconds(30), both.get(1)), decide(p, both, T0));
    Pod zero = Nodes.pod("p", CREATED, List.of(Nodes.tolerate(TaintKeys.UNREACHABLE, 0L)));
    assertInstanceOf(Decision.EvictNow.class, decide(zero, UNREACHABLE, T0));
    Pod forever = Nodes.pod("p", CREATED, List.of(Nodes.tolerate(TaintKeys.UNREACHABLE, null),
        Nodes.tolerate("dedicated", 30L)));
    assertEquals(new Decision.EvictAt(T0.plusSeconds(30), both.get(1)), decide(forever, both, T0),
        "forever on one taint does not help with another's seconds");
  }

  @Test
  void aPodBoundAfterTheTaintCountsFromItsCreationAndATaintWithoutTimeFromFirstSight() {
    Pod late = Nodes.pod("p", T0.plusSeconds(100), List.of(Nodes.tolerate(TaintKeys.UNREACHABLE, 10L)));
    assertEquals(T0.plusSeconds(110), ((Decision.EvictAt) decide(late, UNREACHABLE, T0.plusSeconds(101))).at());
    Pod p = Nodes.pod("p", CREATED, List.of(Nodes.tolerate(TaintKeys.UNREACHABLE, 10L)));
    List<Taint> untimed = List.of(Nodes.taint(TaintKeys.UNREACHABLE, TaintKeys.NO_EXECUTE, null));
    assertEquals(T0.plusSeconds(15), ((Decision.EvictAt) TaintEviction.decide(p, untimed, T0.plusSeconds(5),
        T0.plusSeconds(7))).at());
  }
}
