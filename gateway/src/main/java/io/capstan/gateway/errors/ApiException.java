package io.capstan.gateway.errors;

/** Thrown anywhere in request handling to answer with a Kubernetes {@link ApiStatus}. */
public class ApiException extends RuntimeException {
  private final ApiStatus status;

  public ApiException(ApiStatus status) {
    super(status.code() + " " + status.reason() + ": " + status.message());
    this.status = status;
  }

  public ApiException(ApiStatus status, Throwable cause) {
    super(status.code() + " " + status.reason() + ": " + status.message(), cause);
    this.status = status;
  }

  public ApiStatus status() {
    return status;
  }
}
