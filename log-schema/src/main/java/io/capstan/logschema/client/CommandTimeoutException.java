package io.capstan.logschema.client;

import io.capstan.log.CommandOp;
import java.time.Duration;

/** No reply arrived for a command after every attempt; names the object key and the request id. */
public final class CommandTimeoutException extends RuntimeException {
  private final String key;
  private final String requestId;
  private final int attempts;

  public CommandTimeoutException(CommandOp op, String key, String requestId, int attempts, Duration perAttempt) {
    super("no reply to " + op + " " + key + " (request id " + requestId + ") after " + attempts
        + (attempts == 1 ? " attempt of " : " attempts of ") + perAttempt.toMillis() + " ms each;"
        + " is the command processor running?");
    this.key = key;
    this.requestId = requestId;
    this.attempts = attempts;
  }

  public String key() {
    return key;
  }

  public String requestId() {
    return requestId;
  }

  public int attempts() {
    return attempts;
  }
}
