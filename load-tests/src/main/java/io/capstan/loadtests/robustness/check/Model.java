package io.capstan.loadtests.robustness.check;

import io.capstan.loadtests.robustness.history.Operation;
import java.util.List;

/**
 * A sequential specification for the linearizability search: from a state, the states an
 * operation (with the output the client saw) can lead to. None means the operation cannot happen
 * in that state; more than one lets the model stay undecided (a write whose answer was lost,
 * checked against a version it does not know). States must be values (equals and hashCode), as
 * the search remembers the (linearized set, state) pairs it has tried.
 */
public interface Model<S> {
  S initial();

  List<S> step(S state, Operation op);
}
