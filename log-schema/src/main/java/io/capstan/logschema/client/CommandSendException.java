package io.capstan.logschema.client;

import io.capstan.log.CommandOp;

/**
 * Kafka refused a command for good (too large, not authorized, client closed, ...): retrying the
 * same bytes would fail the same way, so the request fails at once.
 */
public final class CommandSendException extends RuntimeException {
  private final String key;
  private final String requestId;

  public CommandSendException(CommandOp op, String key, String requestId, String topic, Throwable cause) {
    super("sending " + op + " " + key + " (request id " + requestId + ") to " + topic + " failed: " + cause, cause);
    this.key = key;
    this.requestId = requestId;
  }

  public String key() {
    return key;
  }

  public String requestId() {
    return requestId;
  }
}
