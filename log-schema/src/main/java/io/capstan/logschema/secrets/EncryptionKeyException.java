package io.capstan.logschema.secrets;

/**
 * An encryption configuration file that is missing, unreadable or malformed, or a key that
 * cannot be used. The message names the file (or the key); a component that gets one at start
 * refuses to start rather than write Secrets in plaintext.
 */
public class EncryptionKeyException extends RuntimeException {
  public EncryptionKeyException(String message) {
    super(message);
  }

  public EncryptionKeyException(String message, Throwable cause) {
    super(message, cause);
  }
}
