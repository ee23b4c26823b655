package io.capstan.loadtests.robustness.check;

import io.capstan.loadtests.robustness.history.Operation;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Whether a history is linearizable: whether some total order of its operations, each placed
 * between its call and its return, is a legal sequence of the {@link Model}. The search is the
 * one Porcupine implements (Wing and Gong's, with Lowe's memoisation): the history is split per
 * object key (P-compositionality: a history is linearizable iff each key's is), each key's
 * calls and returns sorted in time into one list of entries; a depth-first search linearizes
 * the first call it can, lifting it and its return out of the list, and backtracks when it meets
 * a return whose call is not linearized yet. A (linearized set, state) pair already tried is
 * never tried again. A call with no return ({@link Operation#NEVER}) can be placed anywhere
 * after its call, the end included, where it changes nothing anyone saw.
 */
public final class LinearizabilityChecker<S> {
  /** Search steps per key before giving up on it (reported as unchecked, never as linearizable). */
  public static final long DEFAULT_STEP_BUDGET = 20_000_000;

  /** The verdict of one key. */
  public enum Verdict { LINEARIZABLE, NOT_LINEARIZABLE, UNCHECKED }

  /**
   * One key's outcome.
   *
   * @param explained the longest prefix of some order the model accepted (its last few operations), for a violation
   * @param stuck     the operation whose return came before any order could place it, for a violation
   */
  public record KeyResult(String key, Verdict verdict, int operations, long steps, List<Operation> explained,
      Operation stuck) {
    public String describe() {
      if (verdict == Verdict.LINEARIZABLE) {
        return key + ": linearizable (" + operations + " operations)";
      }
      if (verdict == Verdict.UNCHECKED) {
        return key + ": not decided within " + steps + " search steps (" + operations + " operations)";
      }
      StringBuilder b = new StringBuilder(key).append(": not linearizable; no order explains ").append(stuck)
          .append(" (").append(operations).append(" operations); the longest explained order ends with:");
      explained.forEach(op -> b.append("\n    ").append(op));
      return b.toString();
    }
  }

  /** All keys' outcomes. */
  public record Result(List<KeyResult> keys) {
    public List<KeyResult> anomalies() {
      return keys.stream().filter(k -> k.verdict() == Verdict.NOT_LINEARIZABLE).toList();
    }

    public List<KeyResult> unchecked() {
      return keys.stream().filter(k -> k.verdict() == Verdict.UNCHECKED).toList();
    }

    public boolean linearizable() {
      return keys.stream().allMatch(k -> k.verdict() == Verdict.LINEARIZABLE);
    }
  }

  private final Model<S> model;
  private final long stepBudget;

  public LinearizabilityChecker(Model<S> model) {
    this(model, DEFAULT_STEP_BUDGET);
  }

  public LinearizabilityChecker(Model<S> model, long stepBudget) {
    if (stepBudget <= 0) {
      throw new IllegalArgumentException("the step budget must be positive, was " + stepBudget);
    }
    this.model = model;
    this.stepBudget = stepBudget;
  }

  public Result check(Map<String, List<Operation>> byKey) {
    List<KeyResult> out = new ArrayList<>();
    byKey.forEach((key, ops) -> out.add(checkKey(key, ops)));
    return new Result(out);
  }

  /** One entry of the list: a call or a return, linked both ways; a call knows its return. */
  private static final class Entry {
    final int id;
    final Operation op;
    final boolean call;
    final long time;
    Entry match;
    Entry prev;
    Entry next;

    Entry(int id, Operation op, boolean call, long time) {
      this.id = id;
      this.op = op;
      this.call = call;
      this.time = time;
    }
  }

  /** A linearized call, the state before it, and the states it could lead to (the one taken at {@code taken}). */
  private record Frame<S>(Entry call, S before, List<S> next, int taken) {}

  /**
   * A (linearized set, state) pair, kept small: the ids of answered calls follow call order, so
   * their part of the set is every id below {@code prefix} plus a few beyond it ({@code beyond});
   * calls without an answer (which may stay unlinearized to the end) have the ids from {@code
   * answered} on, their bits in {@code unanswered}.
   */
  private record Tried<S>(int prefix, Beyond beyond, Beyond unanswered, S state) {
    static <S> Tried<S> of(BitSet linearized, int answered, S state) {
      int prefix = Math.min(linearized.nextClearBit(0), answered);
      return new Tried<>(prefix, new Beyond(linearized.get(prefix, answered).toLongArray()),
          new Beyond(linearized.get(answered, Math.max(answered, linearized.length())).toLongArray()), state);
    }
  }

  /** The bits of a linearized set past its prefix, compared by content. */
  private record Beyond(long[] words) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Beyond b && java.util.Arrays.equals(words, b.words);
    }

    @Override
    public int hashCode() {
      return java.util.Arrays.hashCode(words);
    }
  }

  public KeyResult checkKey(String key, List<Operation> ops) {
    Entry head = entries(ops);
    int n = ops.size();
    int answered = (int) ops.stream().filter(op -> op.returnNanos() != Operation.NEVER).count();
    BitSet linearized = new BitSet(n);
    Set<Tried<S>> tried = new HashSet<>();
    Deque<Frame<S>> stack = new ArrayDeque<>();
    S state = model.initial();
    Entry e = head.next;
    long steps = 0;
    int deepest = -1;
    List<Operation> explained = List.of();
    Operation stuck = null;
    while (head.next != null) {
      if (++steps > stepBudget) {
        return new KeyResult(key, Verdict.UNCHECKED, n, steps, List.of(), null);
      }
      if (e.call) {
        List<S> next = model.step(state, e.op);
        Frame<S> taken = take(e, state, next, 0, linearized, answered, tried);
        if (taken != null) {
          stack.push(taken);
          state = taken.next().get(taken.taken());
          e = head.next;
        } else {
          e = e.next;
        }
        continue;
      }
      // a return whose call no order has placed yet: undo the last linearized call. The first
      // such call met at the greatest depth is the one to blame when no order is found.
      if (stack.size() > deepest) {
        deepest = stack.size();
        explained = lastOf(stack, 5);
        stuck = e.op;
      }
      while (true) {
        if (stack.isEmpty()) {
          return new KeyResult(key, Verdict.NOT_LINEARIZABLE, n, steps, explained, stuck);
        }
        Frame<S> top = stack.pop();
        linearized.clear(top.call().id);
        unlift(top.call());
        state = top.before();
        Frame<S> other = take(top.call(), state, top.next(), top.taken() + 1, linearized, answered,
            tried);
        if (other != null) {
          stack.push(other);
          state = other.next().get(other.taken());
          e = head.next;
          break;
        }
        e = top.call().next;
        if (e.call) {
          break;
        }
      }
    }
    return new KeyResult(key, Verdict.LINEARIZABLE, n, steps, List.of(), null);
  }

  /**
   * Linearizes {@code call} into the first of {@code next} (from {@code from}) whose pair with the
   * linearized set is new: lifts it out of the list and returns its frame; null when none is.
   */
  private Frame<S> take(Entry call, S before, List<S> next, int from, BitSet linearized, int answered,
      Set<Tried<S>> tried) {
    for (int i = from; i < next.size(); i++) {
      linearized.set(call.id);
      if (tried.add(Tried.of(linearized, answered, next.get(i)))) {
        lift(call);
        return new Frame<>(call, before, next, i);
      }
      linearized.clear(call.id);
    }
    return null;
  }

  private static <S> List<Operation> lastOf(Deque<Frame<S>> stack, int count) {
    List<Operation> ops = new ArrayList<>();
    for (Frame<S> f : stack) { // from the top: the newest first
      if (ops.size() == count) {
        break;
      }
      ops.add(0, f.call().op);
    }
    return ops;
  }

  /** The sorted list of entries behind a sentinel head; at equal times calls first (such operations overlap). */
  private static Entry entries(List<Operation> unsorted) {
    List<Operation> ops = new ArrayList<>(unsorted);
    // ids: answered calls first, each part in call order (see Tried)
    ops.sort(java.util.Comparator.comparing((Operation op) -> op.returnNanos() == Operation.NEVER)
        .thenComparingLong(Operation::callNanos));
    List<Entry> all = new ArrayList<>(ops.size() * 2);
    for (int i = 0; i < ops.size(); i++) {
      Operation op = ops.get(i);
      Entry call = new Entry(i, op, true, op.callNanos());
      Entry ret = new Entry(i, op, false, op.returnNanos());
      call.match = ret;
      all.add(call);
      all.add(ret);
    }
    all.sort((a, b) -> a.time != b.time ? Long.compare(a.time, b.time) : Boolean.compare(!a.call, !b.call));
    Entry head = new Entry(-1, null, false, Long.MIN_VALUE);
    Entry last = head;
    for (Entry x : all) {
      last.next = x;
      x.prev = last;
      last = x;
    }
    return head;
  }

  /** Takes a call and its return out of the list. */
  private static void lift(Entry call) {
    call.prev.next = call.next;
    if (call.next != null) {
      call.next.prev = call.prev;
    }
    Entry ret = call.match;
    ret.prev.next = ret.next;
    if (ret.next != null) {
      ret.next.prev = ret.prev;
    }
  }

  /** Puts them back where they were (the reverse of {@link #lift}). */
  private static void unlift(Entry call) {
    Entry ret = call.match;
    ret.prev.next = ret;
    if (ret.next != null) {
      ret.next.prev = ret;
    }
    call.prev.next = call;
    if (call.next != null) {
      call.next.prev = call;
    }
  }
}
