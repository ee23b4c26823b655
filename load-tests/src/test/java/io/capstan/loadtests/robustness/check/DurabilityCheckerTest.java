package io.capstan.loadtests.robustness.check;

import static io.capstan.loadtests.robustness.check.Ops.create;
import static io.capstan.loadtests.robustness.check.Ops.created;
import static io.capstan.loadtests.robustness.check.Ops.delete;
import static io.capstan.loadtests.robustness.check.Ops.ok;
import static io.capstan.loadtests.robustness.check.Ops.op;
import static io.capstan.loadtests.robustness.check.Ops.patch;
import static io.capstan.loadtests.robustness.check.Ops.unknown;
import static io.capstan.loadtests.robustness.check.Ops.update;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.loadtests.robustness.history.LogEvent;
import io.capstan.loadtests.robustness.history.Operation;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Acknowledged writes must be in the log and the final state; the log holds only what clients wrote, once. */
class DurabilityCheckerTest {
  private static final String K = Ops.KEY;
  private static final List<Operation> OPS = List.of(
      op("c1", 0, 10, create("a1"), created(100, "a1")),
      op("c1", 20, 30, update("a2", 100), ok(110, "a2")),
      op("c2", 40, Long.MAX_VALUE, patch("a3"), unknown()),
      op("c2", 50, Long.MAX_VALUE, patch("a4"), unknown()));
  private static final List<LogEvent> LOG = List.of(
      new LogEvent(K, 100, LogEvent.Type.ADDED, "a1"),
      new LogEvent(K, 110, LogEvent.Type.MODIFIED, "a2"),
      new LogEvent(K, 120, LogEvent.Type.MODIFIED, "a3"));

  private static DurabilityChecker.Result check(List<Operation> ops, List<LogEvent> log, DurabilityChecker.FinalState f) {
    return new DurabilityChecker().check(ops, log, Map.of(K, f));
  }

  @Test
  void acknowledgedWritesInTheLogAndSupersededPass() {
    DurabilityChecker.Result r = check(OPS, LOG, new DurabilityChecker.FinalState(true, 120, "a3"));
    assertTrue(r.clean(), r.toString());
  }

  @Test
  void anAcknowledgedWriteMissingFromTheLogIsLost() {
    DurabilityChecker.Result r = check(OPS, List.of(LOG.get(0), LOG.get(2)),
        new DurabilityChecker.FinalState(true, 120, "a3"));
    assertEquals(1, r.lost().size(), r.toString());
    assertTrue(r.lost().get(0).contains("a2"), r.toString());
  }

  @Test
  void aFinalStateBehindTheLogIsLost() {
    DurabilityChecker.Result r = check(OPS, LOG, new DurabilityChecker.FinalState(true, 100, "a1"));
    assertTrue(r.lost().size() >= 2, r.toString()); // the update at 110 is not superseded, and the log says 120
    r = check(OPS, LOG, DurabilityChecker.FinalState.absent());
    assertTrue(!r.lost().isEmpty(), r.toString());
  }

  @Test
  void anAcknowledgedDeleteMissingFromTheLogIsLost() {
    List<Operation> ops = List.of(OPS.get(0), op("c1", 20, 30, delete(0), ok(100, "a1")));
    DurabilityChecker.Result r = check(ops, List.of(LOG.get(0)), new DurabilityChecker.FinalState(true, 100, "a1"));
    assertEquals(1, r.lost().size(), r.toString());
    r = check(ops, List.of(LOG.get(0), new LogEvent(K, 105, LogEvent.Type.DELETED, null)),
        DurabilityChecker.FinalState.absent());
    assertTrue(r.clean(), r.toString());
  }

  @Test
  void aValueNoClientWroteOrOneAppliedTwiceIsFlagged() {
    DurabilityChecker.Result r = check(OPS, List.of(LOG.get(0), LOG.get(1), new LogEvent(K, 120,
        LogEvent.Type.MODIFIED, "zz")), new DurabilityChecker.FinalState(true, 120, "zz"));
    assertEquals(2, r.phantom().size(), r.toString()); // in the log, and in the final state
    r = check(OPS, List.of(LOG.get(0), LOG.get(1), LOG.get(2), new LogEvent(K, 130, LogEvent.Type.MODIFIED, "a2")),
        new DurabilityChecker.FinalState(true, 130, "a2"));
    assertEquals(1, r.phantom().size(), r.toString());
    assertTrue(r.phantom().get(0).contains("twice"), r.toString());
  }

  @Test
  void unansweredWritesTakeTheLogsWord() {
    List<Operation> resolved = DurabilityChecker.resolveUnanswered(OPS, LOG);
    assertEquals(3, resolved.size(), "a4 never took effect: left out");
    assertEquals(ok(120, "a3"), resolved.get(2).output());
    assertEquals(Long.MAX_VALUE, resolved.get(2).returnNanos());
  }
}
