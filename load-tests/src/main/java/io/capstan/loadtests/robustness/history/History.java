package io.capstan.loadtests.robustness.history;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The operations of a run, as clients record them (thread-safe). A read whose answer is unknown
 * says nothing and is left out; a write whose answer is unknown is kept, returning {@link
 * Operation#NEVER}, since it may have taken effect.
 */
public final class History {
  private final List<Operation> operations = new ArrayList<>();

  public synchronized void add(Operation op) {
    if (op.unanswered() && !op.input().writes()) {
      return;
    }
    if (op.unanswered() && op.returnNanos() != Operation.NEVER) {
      op = new Operation(op.key(), op.client(), op.callNanos(), Operation.NEVER, op.input(), op.output());
    }
    operations.add(op);
  }

  public synchronized List<Operation> operations() {
    return List.copyOf(operations);
  }

  public synchronized int size() {
    return operations.size();
  }

  /** The operations per object key, keys in the order first seen, each key's in the order recorded. */
  public synchronized Map<String, List<Operation>> byKey() {
    Map<String, List<Operation>> keys = new LinkedHashMap<>();
    for (Operation op : operations) {
      keys.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
    }
    return keys;
  }
}
