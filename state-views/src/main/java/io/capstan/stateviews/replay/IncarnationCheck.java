package io.capstan.stateviews.replay;

import io.capstan.log.Event;
import io.capstan.log.EventOp;
import io.capstan.logschema.kinds.ObjectKey;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks the event log for what the single writer promises about object identity. An
 * <em>incarnation</em> is one object's life under its key: a CREATED event (which gives it its
 * uid) up to its DELETED event; the same name made again is a new incarnation with a new uid.
 * <ul>
 *   <li>a uid is given once: no two CREATED events carry the same uid (as kube-apiserver's
 *       uids, never reused, so owner references and preconditions cannot mistake one object for
 *       another);
 *   <li>after a key's DELETED event, the next event of that key is a CREATED: no update, status
 *       write, binding or second delete of an object that is gone;
 *   <li>every event of an incarnation carries the uid its CREATED gave it.
 * </ul>
 * Feed it every event in log order (per partition; an object's events all sit on its partition,
 * so partitions may come in any interleaving). A log that starts after retention dropped its
 * beginning is fine: a key first seen in the middle of its life starts its incarnation there.
 */
public final class IncarnationCheck {

  /** One broken promise, at the event that broke it. */
  public record Violation(String key, String uid, EventOp op, long resourceVersion, String problem) {
    @Override
    public String toString() {
      return key + " " + op + " at rv " + resourceVersion + " (uid " + uid + "): " + problem;
    }
  }

  /** Where a uid was given: its key and the CREATED event's resourceVersion. */
  private record Created(String key, long resourceVersion) {}

  /** A key's last known incarnation. */
  private record Life(String uid, boolean gone, long resourceVersion) {}

  private final Map<String, Created> createdUids = new HashMap<>();
  private final Map<String, Life> keys = new HashMap<>();
  private final List<Violation> violations = new ArrayList<>();
  private long events;

  /** Checks the next event (in its partition's log order). */
  public void accept(Event e) {
    events++;
    String key = new ObjectKey(e.getKind(), e.getNamespace(), e.getName()).toString();
    String uid = e.getUid() == null ? "" : e.getUid();
    long rv = e.getResourceVersion();
    Life life = keys.get(key);
    if (e.getOp() == EventOp.CREATED) {
      if (life != null && !life.gone()) {
        violations.add(new Violation(key, uid, e.getOp(), rv, "created again while incarnation " + life.uid()
            + " (last written at rv " + life.resourceVersion() + ") was never deleted"));
      }
      Created first = uid.isEmpty() ? null : createdUids.putIfAbsent(uid, new Created(key, rv));
      if (first != null) {
        violations.add(new Violation(key, uid, e.getOp(), rv, "uid reused: it was given before, to " + first.key()
            + " created at rv " + first.resourceVersion()));
      }
      keys.put(key, new Life(uid, false, rv));
      return;
    }
    if (life == null) {
      // The log begins in the middle of this object's life (retention): its incarnation starts here.
      keys.put(key, new Life(uid, e.getOp() == EventOp.DELETED, rv));
      return;
    }
    if (life.gone()) {
      violations.add(new Violation(key, uid, e.getOp(), rv, "written after its delete at rv " + life.resourceVersion()
          + " (uid " + life.uid() + ") without a create"));
    } else if (!uid.equals(life.uid())) {
      violations.add(new Violation(key, uid, e.getOp(), rv, "carries a uid other than its incarnation's ("
          + life.uid() + ", created or first seen at rv " + life.resourceVersion() + ")"));
    }
    keys.put(key, new Life(life.gone() ? uid : life.uid(), e.getOp() == EventOp.DELETED, rv));
  }

  public List<Violation> violations() {
    return List.copyOf(violations);
  }

  public boolean holds() {
    return violations.isEmpty();
  }

  public long events() {
    return events;
  }

  /** One line when the log holds the promises; else the count and up to {@code maxShown} violations. */
  public String summary(int maxShown) {
    if (violations.isEmpty()) {
      return "verify: OK, uids are never reused and nothing is written after its delete (" + createdUids.size()
          + " uids created, " + events + " events)";
    }
    StringBuilder b = new StringBuilder("verify: LOG INVARIANT BROKEN: " + violations.size() + " violation(s)");
    violations.stream().limit(maxShown).forEach(v -> b.append("\n  ").append(v));
    if (violations.size() > maxShown) {
      b.append("\n  …");
    }
    return b.toString();
  }
}
