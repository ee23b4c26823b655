package io.capstan.gateway.protobuf;

/** A body that is not valid protobuf for the message it claims to be; the message says where and why. */
public final class MalformedProtobufException extends RuntimeException {
  public MalformedProtobufException(String message) {
    super(message);
  }
}
