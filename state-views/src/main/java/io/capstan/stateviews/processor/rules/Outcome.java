package io.capstan.stateviews.processor.rules;

import io.capstan.log.ErrorStatus;
import io.capstan.log.EventOp;
import org.apache.avro.generic.IndexedRecord;

/** What a command does to the one object it names. */
public sealed interface Outcome {

  /**
   * The object is stored as {@code after} (its resourceVersion still to be assigned), with one
   * Event of {@code op}. {@code before} is the stored object, or null for a create.
   */
  record Write(EventOp op, IndexedRecord before, IndexedRecord after) implements Outcome {}

  /** The object leaves the store: a tombstone and a DELETED event carrying {@code last}. */
  record Remove(IndexedRecord last) implements Outcome {}

  /**
   * Nothing changes (a no-op update, a repeated delete while deletion is pending): as
   * kube-apiserver does, the reply carries the stored object and no new resourceVersion, and no
   * Event or state record is written.
   */
  record Unchanged(IndexedRecord current) implements Outcome {}

  /** The command is refused with a Kubernetes Status. */
  record Rejected(ErrorStatus status) implements Outcome {}
}
