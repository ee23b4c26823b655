package io.capstan.nodeagent.runtime;

/**
 * A runtime operation failed. {@link #reason()} is the word kubelet puts into the container's
 * waiting state: {@code CreateContainerError}, {@code RunContainerError}, {@code
 * CreateContainerConfigError}, …
 */
public class RuntimeFailure extends RuntimeException {
  private final String reason;

  public RuntimeFailure(String reason, String message) {
    super(message);
    this.reason = reason;
  }

  public RuntimeFailure(String reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public String reason() {
    return reason;
  }
}
