package io.capstan.gateway.errors;

import io.capstan.logschema.json.ConversionException;
import io.capstan.logschema.patch.PatchException;
import io.capstan.logschema.validation.FieldError;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Maps whatever a request handler threw to the Status the client sees: our own
 * {@link ApiException}s as they are, bad documents (ConversionException) as 400 BadRequest,
 * unusable patches as 400 or 422, and anything else as 500 InternalError (logged by the caller,
 * since it is a bug, not bad input).
 */
public final class ApiErrors {
  private ApiErrors() {}

  public static ApiStatus toStatus(Throwable error) {
    Throwable e = unwrap(error);
    if (e instanceof ApiException api) {
      return api.status();
    }
    if (e instanceof ConversionException conversion) {
      return ApiStatus.badRequest(conversion.getMessage());
    }
    if (e instanceof PatchException patch) {
      return patch.malformed()
          ? ApiStatus.badRequest(patch.getMessage())
          : ApiStatus.invalid("", "", "", List.of(new FieldError("patch", "FieldValueInvalid", patch.getMessage())));
    }
    return ApiStatus.internalError(e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
  }

  /** Whether the error is a server fault (worth an error log) rather than a client's mistake. */
  public static boolean isServerFault(Throwable error) {
    return toStatus(error).code() >= 500;
  }

  /** Whether the error is a Status the server chose to answer with (e.g. 503 while a part is missing), not a bug. */
  public static boolean isDeliberate(Throwable error) {
    return unwrap(error) instanceof ApiException;
  }

  private static Throwable unwrap(Throwable e) {
    while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }
}
