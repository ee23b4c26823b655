package io.capstan.loadtests.robustness.check;

import io.capstan.loadtests.robustness.history.Input;
import io.capstan.loadtests.robustness.history.Operation;
import io.capstan.loadtests.robustness.history.Output;
import java.util.List;
import java.util.Objects;

/**
 * One Kubernetes object as its clients must see it, if the API is linearizable: absent, or
 * present with a payload value and a resourceVersion. Creates fail with 409 when it exists; a
 * PUT with a resourceVersion precondition succeeds only at that version (409 Conflict otherwise);
 * a PUT without one, a patch and a delete act on whatever is there; updates, patches and deletes
 * of an absent object are 404; reads see exactly the current value and version. Every new
 * version is greater than every earlier one of the key (versions only grow, also across a delete
 * and a new create).
 *
 * <p>A write whose answer was lost leaves the object at a version nobody knows yet ({@link
 * State#UNKNOWN_RV}); the next read or precondition that names a version fixes it.
 */
public final class ObjectModel implements Model<ObjectModel.State> {
  static final long UNKNOWN_RV = -1;

  /**
   * @param floor the highest version the key is known to have had: every later write's version is above it
   */
  public record State(boolean exists, String value, long rv, long floor) {
    static final long UNKNOWN_RV = ObjectModel.UNKNOWN_RV;

    static State absent(long floor) {
      return new State(false, null, 0, floor);
    }

    static State present(String value, long rv, long floor) {
      return new State(true, value, rv, floor);
    }

    /** Whether a precondition on {@code expected} can hold: the version is it, or unknown and possibly it. */
    boolean mayBeAt(long expected) {
      return rv == UNKNOWN_RV ? expected > floor : rv == expected;
    }

    /** Whether the object may be at a version other than {@code expected}. */
    boolean mayNotBeAt(long expected) {
      return rv == UNKNOWN_RV || rv != expected;
    }

    /** After a successful write seen at version {@code newRv}, when that version is a legal next one. */
    boolean nextVersionOk(long newRv) {
      return newRv > floor && (rv == UNKNOWN_RV || newRv > rv);
    }
  }

  @Override
  public State initial() {
    return State.absent(0);
  }

  @Override
  public List<State> step(State s, Operation op) {
    Input in = op.input();
    Output out = op.output();
    if (in instanceof Input.Create c) {
      return create(s, c.value(), out);
    } else if (in instanceof Input.Update u) {
      return replace(s, u.value(), u.precondition(), out);
    } else if (in instanceof Input.Patch p) {
      return replace(s, p.value(), 0, out);
    } else if (in instanceof Input.Delete d) {
      return delete(s, d.precondition(), out);
    }
    return read(s, out);
  }

  private static List<State> create(State s, String value, Output out) {
    if (out instanceof Output.Ok ok) {
      return !s.exists() && value.equals(ok.value()) && s.nextVersionOk(ok.resourceVersion())
          ? List.of(State.present(value, ok.resourceVersion(), ok.resourceVersion())) : List.of();
    } else if (out instanceof Output.Refused r) {
      return r.code() == 409 && s.exists() ? List.of(s) : List.of();
    }
    return s.exists() ? List.of(s) : List.of(State.present(value, UNKNOWN_RV, s.floor()));
  }

  /** A refusal of an update or delete: 404 when absent, 409 when a precondition may not hold. */
  private static List<State> refused(State s, long precondition, Output.Refused r) {
    if (r.code() == 404) {
      return s.exists() ? List.of() : List.of(s);
    }
    if (r.code() == 409) {
      return s.exists() && precondition > 0 && s.mayNotBeAt(precondition) ? List.of(s) : List.of();
    }
    return List.of();
  }

  /** A PUT ({@code precondition} 0 when it has none) or a merge patch of the payload. */
  private static List<State> replace(State s, String value, long precondition, Output out) {
    boolean conditional = precondition > 0;
    if (out instanceof Output.Ok ok) {
      return s.exists() && value.equals(ok.value()) && s.nextVersionOk(ok.resourceVersion())
          && (!conditional || s.mayBeAt(precondition))
          ? List.of(State.present(value, ok.resourceVersion(), ok.resourceVersion())) : List.of();
    } else if (out instanceof Output.Refused r) {
      return refused(s, precondition, r);
    }
    if (!s.exists()) {
      return List.of(s);
    }
    State applied = State.present(value, UNKNOWN_RV, conditional && s.rv() == UNKNOWN_RV
        ? Math.max(s.floor(), precondition) : Math.max(s.floor(), s.rv()));
    if (!conditional || (s.rv() != UNKNOWN_RV && s.rv() == precondition)) {
      return List.of(applied);
    }
    return s.mayBeAt(precondition) ? List.of(s, applied) : List.of(s);
  }

  private static List<State> delete(State s, long precondition, Output out) {
    boolean conditional = precondition > 0;
    long floor = Math.max(s.floor(), s.rv());
    if (out instanceof Output.Ok ok) {
      // the answer is the object as it was last stored: its value must be the current one
      // (a Status instead of the object says neither: value null, version 0)
      return s.exists() && (ok.value() == null || Objects.equals(s.value(), ok.value()))
          && (!conditional || s.mayBeAt(precondition))
          && (s.rv() == UNKNOWN_RV || ok.resourceVersion() == 0 || ok.resourceVersion() >= s.rv())
          ? List.of(State.absent(Math.max(floor, ok.resourceVersion()))) : List.of();
    } else if (out instanceof Output.Refused r) {
      return refused(s, precondition, r);
    }
    if (!s.exists()) {
      return List.of(s);
    }
    if (!conditional || (s.rv() != UNKNOWN_RV && s.rv() == precondition)) {
      return List.of(State.absent(floor));
    }
    return s.mayBeAt(precondition) ? List.of(s, State.absent(Math.max(floor, precondition))) : List.of(s);
  }

  private static List<State> read(State s, Output out) {
    if (out instanceof Output.Ok ok) {
      if (!s.exists() || !Objects.equals(s.value(), ok.value())) {
        return List.of();
      }
      if (s.rv() == UNKNOWN_RV) {
        // the read names the version the lost write got
        return ok.resourceVersion() > s.floor()
            ? List.of(State.present(s.value(), ok.resourceVersion(), ok.resourceVersion())) : List.of();
      }
      return s.rv() == ok.resourceVersion() ? List.of(s) : List.of();
    } else if (out instanceof Output.Refused r) {
      return r.code() == 404 && !s.exists() ? List.of(s) : List.of();
    }
    return List.of(s);
  }
}
