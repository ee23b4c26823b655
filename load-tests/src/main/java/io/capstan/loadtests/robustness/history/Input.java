package io.capstan.loadtests.robustness.history;

/**
 * What a client asked of one object. {@code value} is the payload field the client writes (unique
 * per write in a run, so a read names the write it saw); {@code precondition} is a
 * resourceVersion the object must be at, 0 for none.
 */
public sealed interface Input {
  /** POST: create if absent (409 AlreadyExists otherwise). */
  record Create(String value) implements Input {}

  /** PUT: replace the object, if {@code precondition} is set only when it is at that resourceVersion (409 Conflict otherwise). */
  record Update(String value, long precondition) implements Input {}

  /** PATCH (merge patch) setting the payload field, unconditionally. */
  record Patch(String value) implements Input {}

  /** DELETE, with a resourceVersion precondition when set. */
  record Delete(long precondition) implements Input {}

  /** GET of the object, or the object's part of a list (present or absent in it). */
  record Get() implements Input {}

  /** Whether the call may change the object. */
  default boolean writes() {
    return !(this instanceof Get);
  }
}
