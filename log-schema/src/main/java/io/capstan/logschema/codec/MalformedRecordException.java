package io.capstan.logschema.codec;

/** A record that cannot be decoded: bad header, unknown schema fingerprint or corrupt body. */
public class MalformedRecordException extends RuntimeException {
  public MalformedRecordException(String message) {
    super(message);
  }

  public MalformedRecordException(String message, Throwable cause) {
    super(message, cause);
  }
}
