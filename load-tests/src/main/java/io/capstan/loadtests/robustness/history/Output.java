package io.capstan.loadtests.robustness.history;

/** What a client got back for one object; {@link Unknown} when it got no answer to rely on. */
public sealed interface Output {
  /** A 2xx answer carrying the object at {@code resourceVersion} with the payload field {@code value}. */
  record Ok(int code, long resourceVersion, String value) implements Output {}

  /** A refusal: 404 NotFound, 409 AlreadyExists or Conflict, or any other code the model must explain. */
  record Refused(int code) implements Output {}

  /**
   * No answer, or one that does not say whether the write happened (timeout, 5xx, connection
   * lost): the call may take effect at any time after it was made, or never.
   */
  record Unknown(String why) implements Output {}
}
