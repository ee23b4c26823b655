package io.capstan.loadtests.robustness.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.loadtests.robustness.history.LogEvent;
import io.capstan.loadtests.robustness.history.WatchSession;
import io.capstan.loadtests.robustness.history.WatchSession.Delivered;
import io.capstan.loadtests.robustness.history.WatchSession.Type;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A good watch passes; each guarantee broken on its own is named. */
class WatchCheckerTest {
  // two keys; versions 20 and 40 are shared by two events on different keys (two partitions' clocks)
  private static final List<LogEvent> LOG = List.of(
      new LogEvent("a", 10, LogEvent.Type.ADDED, "a1"),
      new LogEvent("a", 20, LogEvent.Type.MODIFIED, "a2"),
      new LogEvent("b", 20, LogEvent.Type.ADDED, "b1"),
      new LogEvent("b", 30, LogEvent.Type.MODIFIED, "b2"),
      new LogEvent("a", 40, LogEvent.Type.DELETED, null),
      new LogEvent("b", 40, LogEvent.Type.MODIFIED, "b3"),
      new LogEvent("b", 50, LogEvent.Type.MODIFIED, "b4"));

  private static Delivered ev(Type t, String key, long rv, String v) {
    return new Delivered(t, key, rv, v);
  }

  private static Delivered bookmark(long rv) {
    return new Delivered(Type.BOOKMARK, null, rv, null);
  }

  private static final Delivered A10 = ev(Type.ADDED, "a", 10, "a1");
  private static final Delivered A20 = ev(Type.MODIFIED, "a", 20, "a2");
  private static final Delivered B20 = ev(Type.ADDED, "b", 20, "b1");
  private static final Delivered B30 = ev(Type.MODIFIED, "b", 30, "b2");
  private static final Delivered A40 = ev(Type.DELETED, "a", 40, "a2");
  private static final Delivered B40 = ev(Type.MODIFIED, "b", 40, "b3");
  private static final Delivered B50 = ev(Type.MODIFIED, "b", 50, "b4");

  private static List<WatchChecker.Violation> check(long from, int error, Delivered... delivered) {
    return new WatchChecker(LOG).check(new WatchSession("w1", from, List.of(delivered), error));
  }

  private static void assertOnly(String guarantee, List<WatchChecker.Violation> found) {
    assertTrue(!found.isEmpty(), "expected a violation of " + guarantee);
    assertTrue(found.stream().allMatch(v -> v.guarantee().equals(guarantee)), found.toString());
  }

  @Test
  void aWatchThatDeliversTheLogInOrderPasses() {
    assertEquals(List.of(), check(5, 0, A10, A20, B20, bookmark(25), B30, A40, B40, B50, bookmark(60)));
    assertEquals(List.of(), check(30, 0, B40, A40, bookmark(45)), "equal versions on two keys in either order");
    assertEquals(List.of(), check(30, 0, bookmark(35)), "nothing between 30 and 35");
    assertEquals(List.of(), check(5, 410), "too old: 410 Gone");
  }

  @Test
  void outOfOrder() {
    assertOnly("ordered", check(5, 0, A10, B30, A20, B20));
  }

  @Test
  void duplicate() {
    List<WatchChecker.Violation> v = check(5, 0, A10, A20, B20, B30, B30);
    assertTrue(v.stream().anyMatch(x -> x.guarantee().equals("unique")), v.toString());
  }

  @Test
  void splitVersion() {
    // the log has two events at 40; this watch ends after one of them (the other one is also a gap)
    List<WatchChecker.Violation> v = check(30, 0, A40);
    assertTrue(v.stream().anyMatch(x -> x.guarantee().equals("atomic")), v.toString());
  }

  @Test
  void bookmarkTooEarlyOrTooLate() {
    List<WatchChecker.Violation> v = check(5, 0, A10, bookmark(25), A20, B20);
    assertTrue(v.stream().anyMatch(x -> x.guarantee().equals("bookmarkable")), v.toString());
    v = check(5, 0, A10, A20, B20, B30, bookmark(25));
    assertTrue(v.stream().anyMatch(x -> x.guarantee().equals("bookmarkable")), v.toString());
  }

  @Test
  void gapOrEventTheLogDoesNotHold() {
    assertOnly("reliable", check(5, 0, A10, A20, B20, A40, B40));
    assertOnly("reliable", check(5, 0, A10, ev(Type.MODIFIED, "a", 15, "zz"), A20, B20));
    assertOnly("reliable", check(5, 0, A10, ev(Type.MODIFIED, "a", 20, "zz"), B20));
  }

  @Test
  void resumedFromTheWrongPlace() {
    assertOnly("resumable", check(20, 0, B20, B30));
    assertOnly("resumable", check(20, 0, A40, B40, B50));
    assertOnly("resumable", check(20, 500));
  }
}
