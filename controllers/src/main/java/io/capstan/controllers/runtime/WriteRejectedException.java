package io.capstan.controllers.runtime;

import io.capstan.log.ErrorStatus;

/**
 * The command processor refused a controller's write, with its Kubernetes Status. A 409 Conflict
 * means the controller acted on a stale cache: the reconcile is retried once the cache has moved
 * on, so no newer update is ever overwritten.
 */
public final class WriteRejectedException extends Exception {
  private final ErrorStatus status;

  public WriteRejectedException(String what, ErrorStatus status) {
    super(what + " refused: " + status.getCode() + " " + status.getReason() + ": " + status.getMessage());
    this.status = status;
  }

  public ErrorStatus status() {
    return status;
  }

  public boolean isConflict() {
    return status.getCode() == 409 && "Conflict".equals(status.getReason());
  }

  public boolean isNotFound() {
    return status.getCode() == 404;
  }

  public boolean isAlreadyExists() {
    return status.getCode() == 409 && "AlreadyExists".equals(status.getReason());
  }

  /** Refused because the namespace is being deleted (403 with cause NamespaceTerminating): no retry helps. */
  public boolean isNamespaceTerminating() {
    if (status.getCode() != 403 || status.getCauses() == null) {
      return false;
    }
    for (io.capstan.log.StatusCause c : status.getCauses()) {
      if ("NamespaceTerminating".equals(String.valueOf(c.getReason()))) {
        return true;
      }
    }
    return false;
  }
}
