package io.capstan.loadtests.robustness.check;

import io.capstan.loadtests.robustness.history.LogEvent;
import io.capstan.loadtests.robustness.history.WatchSession;
import io.capstan.loadtests.robustness.history.WatchSession.Delivered;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The watch guarantees as etcd's API guarantees and robustness suite define them, held against
 * the event log for each watch session (a watch covering every key the log holds):
 * <ul>
 *   <li><b>ordered</b>: events come in resourceVersion order (equal versions only on different keys);
 *   <li><b>unique</b>: no event (key, version) comes twice;
 *   <li><b>atomic</b>: the events sharing one version come all together, none between them;
 *   <li><b>bookmarkable</b>: a BOOKMARK at B comes after every event at or below B (and after every
 *       one the log has above the start) and before every event above it;
 *   <li><b>reliable</b>: from the start to the last version delivered, exactly the log's events,
 *       as the log has them: no gap, nothing the log does not hold;
 *   <li><b>resumable</b>: a watch from a resourceVersion delivers nothing at or before it and
 *       starts right after it — or ends at once with 410 Gone.
 * </ul>
 */
public final class WatchChecker {
  /** One broken guarantee. */
  public record Violation(String guarantee, String session, String detail) {
    @Override
    public String toString() {
      return guarantee + " (watch " + session + "): " + detail;
    }
  }

  private record EventKey(String key, long rv) {}

  private final Map<EventKey, LogEvent> byKeyAndRv = new HashMap<>();
  private final TreeMap<Long, List<LogEvent>> byRv = new TreeMap<>();

  public WatchChecker(List<LogEvent> log) {
    for (LogEvent e : log) {
      byKeyAndRv.put(new EventKey(e.key(), e.rv()), e);
      byRv.computeIfAbsent(e.rv(), v -> new ArrayList<>()).add(e);
    }
  }

  public List<Violation> check(List<WatchSession> sessions) {
    List<Violation> out = new ArrayList<>();
    for (WatchSession s : sessions) {
      out.addAll(check(s));
    }
    return out;
  }

  public List<Violation> check(WatchSession s) {
    List<Violation> out = new ArrayList<>();
    List<Delivered> all = s.delivered();
    if (s.errorCode() != 0 && s.errorCode() != 410) {
      out.add(new Violation("resumable", s.id(), "from " + s.startRv() + " it ended with error " + s.errorCode()
          + " (expected events or 410 Gone)"));
    }
    List<Delivered> events = all.stream().filter(d -> !d.bookmark()).toList();
    ordered(s, events, out);
    unique(s, events, out);
    if (s.startRv() > 0) {
      for (Delivered d : events) {
        if (d.rv() <= s.startRv()) {
          out.add(new Violation("resumable", s.id(), "resumed from " + s.startRv() + " it delivered " + d
              + ", at or before that version"));
        }
      }
    }
    atomic(s, events, out);
    bookmarkable(s, all, out);
    reliable(s, events, all, out);
    return out;
  }

  private static void ordered(WatchSession s, List<Delivered> events, List<Violation> out) {
    for (int i = 1; i < events.size(); i++) {
      Delivered a = events.get(i - 1);
      Delivered b = events.get(i);
      if (b.rv() < a.rv() || (b.rv() == a.rv() && Objects.equals(a.key(), b.key()))) {
        out.add(new Violation("ordered", s.id(), b + " came after " + a));
      }
    }
  }

  private static void unique(WatchSession s, List<Delivered> events, List<Violation> out) {
    Set<EventKey> seen = new HashSet<>();
    for (Delivered d : events) {
      if (!seen.add(new EventKey(d.key(), d.rv()))) {
        out.add(new Violation("unique", s.id(), d + " came twice"));
      }
    }
  }

  /** Every version delivered comes with all the log's events at it, one after another. */
  private void atomic(WatchSession s, List<Delivered> events, List<Violation> out) {
    Map<Long, List<Integer>> positions = new HashMap<>();
    for (int i = 0; i < events.size(); i++) {
      positions.computeIfAbsent(events.get(i).rv(), v -> new ArrayList<>()).add(i);
    }
    positions.forEach((rv, at) -> {
      if (rv <= s.startRv()) {
        return; // not to be delivered at all: see resumable
      }
      int expected = byRv.getOrDefault(rv, List.of()).size();
      if (expected > 1 && at.size() < expected) {
        out.add(new Violation("atomic", s.id(), "of the " + expected + " events at " + rv + " it delivered "
            + at.size()));
      }
      if (at.get(at.size() - 1) - at.get(0) != at.size() - 1) {
        out.add(new Violation("atomic", s.id(), "the events at " + rv + " came apart, other events between them"));
      }
    });
  }

  private void bookmarkable(WatchSession s, List<Delivered> all, List<Violation> out) {
    for (int i = 0; i < all.size(); i++) {
      Delivered b = all.get(i);
      if (!b.bookmark()) {
        continue;
      }
      Set<EventKey> before = new HashSet<>();
      for (int j = 0; j < all.size(); j++) {
        Delivered d = all.get(j);
        if (d.bookmark()) {
          continue;
        }
        if (j < i) {
          before.add(new EventKey(d.key(), d.rv()));
          if (d.rv() > b.rv()) {
            out.add(new Violation("bookmarkable", s.id(), d + " came before " + b));
          }
        } else if (d.rv() <= b.rv()) {
          out.add(new Violation("bookmarkable", s.id(), d + " came after " + b));
        }
      }
      if (b.rv() <= s.startRv()) {
        continue;
      }
      for (List<LogEvent> at : byRv.subMap(s.startRv(), false, b.rv(), true).values()) {
        for (LogEvent e : at) {
          if (!before.contains(new EventKey(e.key(), e.rv()))) {
            out.add(new Violation("bookmarkable", s.id(), b + " came before the log's " + e.type() + " " + e.key()
                + "@" + e.rv()));
          }
        }
      }
    }
  }

  /** From the start to the last version delivered (an event's or a bookmark's): exactly the log's events. */
  private void reliable(WatchSession s, List<Delivered> events, List<Delivered> all, List<Violation> out) {
    long last = all.stream().mapToLong(Delivered::rv).max().orElse(s.startRv());
    Set<EventKey> delivered = new HashSet<>();
    for (Delivered d : events) {
      delivered.add(new EventKey(d.key(), d.rv()));
      LogEvent e = byKeyAndRv.get(new EventKey(d.key(), d.rv()));
      if (e == null) {
        out.add(new Violation("reliable", s.id(), "delivered " + d + ", which the log does not hold"));
      } else if (!e.type().name().equals(d.type().name())
          || (e.type() != LogEvent.Type.DELETED && !Objects.equals(e.value(), d.value()))) {
        out.add(new Violation("reliable", s.id(), "delivered " + d + " where the log has " + e.type() + " "
            + e.key() + "@" + e.rv() + "=" + e.value()));
      }
    }
    long firstDelivered = events.isEmpty() ? Long.MAX_VALUE : events.get(0).rv();
    if (last <= s.startRv()) {
      return;
    }
    for (List<LogEvent> at : byRv.subMap(s.startRv(), false, last, true).values()) {
      for (LogEvent e : at) {
        if (!delivered.contains(new EventKey(e.key(), e.rv()))) {
          // a resumed watch that does not start right after its version fails to resume
          String guarantee = s.startRv() > 0 && e.rv() < firstDelivered ? "resumable" : "reliable";
          out.add(new Violation(guarantee, s.id(), "from " + s.startRv() + " to " + last + " it missed the log's "
              + e.type() + " " + e.key() + "@" + e.rv()));
        }
      }
    }
  }
}
