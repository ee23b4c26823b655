package io.capstan.logschema.validation;

/**
 * The StorageClass parameters Capstan reads itself (parameters are the provisioner's, and the
 * built-in local-path provisioner is Capstan's).
 */
public final class StorageClassParameters {
  /**
   * The largest storage request a claim of the class may make ({@code maxSize: 10Gi}); a larger claim
   * is refused when created. Unset: no limit.
   */
  public static final String MAX_SIZE = "maxSize";

  private StorageClassParameters() {}
}
