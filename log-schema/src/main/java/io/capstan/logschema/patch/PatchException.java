package io.capstan.logschema.patch;

/**
 * A patch that cannot be applied. {@link #malformed()} says whether the patch document itself
 * is wrong (not JSON of the right shape, an unknown op or directive: a gateway answers 400
 * BadRequest) or whether it is well formed but does not fit the object (a failed {@code test},
 * a missing path: 422 Invalid, as kube-apiserver words patch conflicts). The message names the
 * operation or path at fault.
 */
public class PatchException extends RuntimeException {
  private final boolean malformed;

  private PatchException(String message, boolean malformed) {
    super(message);
    this.malformed = malformed;
  }

  /** The patch document is not valid for its format. */
  public static PatchException malformed(String message) {
    return new PatchException(message, true);
  }

  /** The patch is valid but cannot be applied to this object. */
  public static PatchException cannotApply(String message) {
    return new PatchException(message, false);
  }

  public boolean malformed() {
    return malformed;
  }
}
