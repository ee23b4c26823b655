package io.capstan.logschema.secrets;

/**
 * Sealed Secret data that cannot be opened: its key is retired (crypto-shredded by design),
 * unknown to this configuration, or the ciphertext does not authenticate (tampered, or sealed for
 * another object).
 */
public final class SealedDataException extends RuntimeException {

  /** Why the data cannot be opened. */
  public enum Reason { RETIRED_KEY, UNKNOWN_KEY, TAMPERED, MALFORMED }

  private final Reason reason;
  private final String keyId;

  public SealedDataException(Reason reason, String keyId, String message) {
    super(message);
    this.reason = reason;
    this.keyId = keyId;
  }

  public Reason reason() {
    return reason;
  }

  /** The key the data names; null when the envelope is too broken to name one. */
  public String keyId() {
    return keyId;
  }
}
