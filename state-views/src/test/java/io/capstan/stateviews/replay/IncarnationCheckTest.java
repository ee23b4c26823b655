package io.capstan.stateviews.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.log.Event;
import io.capstan.log.EventOp;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The log's identity invariants, on histories written by hand: good ones pass, each bad one is caught. */
class IncarnationCheckTest {
  private long rv = 100;

  private Event event(EventOp op, String kind, String name, String uid) {
    rv++;
    return Event.newBuilder().setOp(op).setKind(kind).setNamespace("apps").setName(name).setUid(uid)
        .setResourceVersion(rv).setTimeMicros(rv).build();
  }

  private static IncarnationCheck check(List<Event> history) {
    IncarnationCheck c = new IncarnationCheck();
    history.forEach(c::accept);
    return c;
  }

  @Test
  void aNameMadeAgainWithANewUidHolds() {
    IncarnationCheck c = check(List.of(
        event(EventOp.CREATED, "ReplicaSet", "web-1", "u1"),
        event(EventOp.UPDATED, "ReplicaSet", "web-1", "u1"),
        event(EventOp.STATUS_UPDATED, "ReplicaSet", "web-1", "u1"),
        event(EventOp.DELETION_STARTED, "ReplicaSet", "web-1", "u1"),
        event(EventOp.DELETED, "ReplicaSet", "web-1", "u1"),
        event(EventOp.CREATED, "ReplicaSet", "web-1", "u2"),
        event(EventOp.STATUS_UPDATED, "ReplicaSet", "web-1", "u2"),
        event(EventOp.CREATED, "Pod", "web-1-a", "u3"),
        event(EventOp.BOUND, "Pod", "web-1-a", "u3"),
        event(EventOp.DELETED, "Pod", "web-1-a", "u3")));
    assertTrue(c.holds(), c.summary(10));
    assertEquals(10, c.events());
    assertTrue(c.summary(10).startsWith("verify: OK"), c.summary(10));
  }

  @Test
  void aLogThatBeginsMidLifeHolds() {
    // Retention dropped the creates: the first event of a key starts its incarnation.
    IncarnationCheck c = check(List.of(
        event(EventOp.UPDATED, "ConfigMap", "old", "u1"),
        event(EventOp.DELETED, "ConfigMap", "old", "u1"),
        event(EventOp.CREATED, "ConfigMap", "old", "u2"),
        event(EventOp.DELETED, "ConfigMap", "gone-before", "u9"),
        event(EventOp.CREATED, "ConfigMap", "gone-before", "u10")));
    assertTrue(c.holds(), c.summary(10));
  }

  @Test
  void aUidCreatedTwiceIsCaught() {
    // The reported bug's shape: the ReplicaSet made again comes back with the deleted one's uid.
    IncarnationCheck c = check(List.of(
        event(EventOp.CREATED, "ReplicaSet", "web-1", "u1"),
        event(EventOp.DELETED, "ReplicaSet", "web-1", "u1"),
        event(EventOp.CREATED, "ReplicaSet", "web-1", "u1"),
        event(EventOp.CREATED, "ConfigMap", "other", "u1")));
    assertEquals(2, c.violations().size(), c.summary(10));
    IncarnationCheck.Violation again = c.violations().get(0);
    assertEquals("ReplicaSet/apps/web-1", again.key());
    assertEquals(EventOp.CREATED, again.op());
    assertEquals(103, again.resourceVersion());
    assertEquals("uid reused: it was given before, to ReplicaSet/apps/web-1 created at rv 101", again.problem());
    assertEquals("ConfigMap/apps/other", c.violations().get(1).key());
    assertTrue(c.summary(10).startsWith("verify: LOG INVARIANT BROKEN: 2 violation(s)"), c.summary(10));
  }

  @Test
  void aWriteAfterTheDeleteIsCaught() {
    // A late status write or update that re-creates a deleted object (an upsert) is never allowed.
    IncarnationCheck c = check(List.of(
        event(EventOp.CREATED, "ReplicaSet", "web-1", "u1"),
        event(EventOp.DELETED, "ReplicaSet", "web-1", "u1"),
        event(EventOp.STATUS_UPDATED, "ReplicaSet", "web-1", "u1"),
        event(EventOp.CREATED, "Lease", "node-1", "u5"),
        event(EventOp.DELETED, "Lease", "node-1", "u5"),
        event(EventOp.UPDATED, "Lease", "node-1", "u5"),
        event(EventOp.CREATED, "ConfigMap", "twice", "u7"),
        event(EventOp.DELETED, "ConfigMap", "twice", "u7"),
        event(EventOp.DELETED, "ConfigMap", "twice", "u7")));
    assertFalse(c.holds());
    List<String> found = c.violations().stream().map(v -> v.key() + " " + v.op()).toList();
    assertEquals(List.of("ReplicaSet/apps/web-1 STATUS_UPDATED", "Lease/apps/node-1 UPDATED",
        "ConfigMap/apps/twice DELETED"), found);
    assertEquals("written after its delete at rv 102 (uid u1) without a create", c.violations().get(0).problem());
  }

  @Test
  void aCreateOverALiveObjectAndAForeignUidAreCaught() {
    IncarnationCheck c = check(List.of(
        event(EventOp.CREATED, "Secret", "s", "u1"),
        event(EventOp.CREATED, "Secret", "s", "u2"),
        event(EventOp.UPDATED, "Secret", "s", "u3")));
    assertEquals(2, c.violations().size(), c.summary(10));
    assertTrue(c.violations().get(0).problem().startsWith("created again while incarnation u1"),
        c.violations().get(0).problem());
    assertTrue(c.violations().get(1).problem().startsWith("carries a uid other than its incarnation's (u2"),
        c.violations().get(1).problem());
  }
}
