package io.capstan.stateviews.processor;

import io.capstan.logschema.kinds.Kind;

/**
 * Makes the state topic of a kind registered at run time before anything is written to it
 * (Kafka topics are not created on first write here: the layout decides them).
 */
@FunctionalInterface
interface KindTopics {
  /** Returns once the kind's state topic exists with every partition open; throws when it cannot be made. */
  void ensure(Kind kind);
}
