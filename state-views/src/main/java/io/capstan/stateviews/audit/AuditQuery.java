package io.capstan.stateviews.audit;

import io.capstan.log.Event;
import java.util.Optional;

/**
 * Which events an audit query wants; every present filter must match. {@code kind} is the
 * kind's name as the log spells it ({@code Pod}, {@code Deployment}). Times are microseconds
 * since the epoch, inclusive at both ends.
 */
public record AuditQuery(Optional<String> kind, Optional<String> namespace, Optional<String> name,
    Optional<String> actor, long sinceMicros, long untilMicros) {

  public static final AuditQuery ALL =
      new AuditQuery(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), 0, Long.MAX_VALUE);

  public AuditQuery {
    if (sinceMicros > untilMicros) {
      throw new IllegalArgumentException("audit query: the start (since) is after the end (until)");
    }
  }

  public boolean matches(Event e) {
    return e.getTimeMicros() >= sinceMicros && e.getTimeMicros() <= untilMicros
        && kind.map(k -> k.equals(e.getKind())).orElse(true)
        && namespace.map(n -> n.equals(e.getNamespace())).orElse(true)
        && name.map(n -> n.equals(e.getName())).orElse(true)
        && actor.map(a -> a.equals(e.getActor())).orElse(true);
  }

  /** An access record matches on its kind (resolved from its resource), namespace, name, user or impersonator, and time. */
  public boolean matches(io.capstan.log.Access a) {
    if (a.getTimeMicros() < sinceMicros || a.getTimeMicros() > untilMicros) {
      return false;
    }
    AuditEntry e = AuditEntry.of(a);
    return kind.map(k -> k.equals(e.kind())).orElse(true)
        && namespace.map(n -> n.equals(a.getNamespace())).orElse(true)
        && name.map(n -> n.equals(a.getName())).orElse(true)
        && actor.map(u -> u.equals(a.getUser()) || u.equals(a.getImpersonator())).orElse(true);
  }

  /** One object named exactly: its events all live on one partition. */
  boolean namesOneObject() {
    return kind.isPresent() && name.isPresent();
  }
}
