package io.capstan.gateway.selection;

/** A label or field selector that does not parse or names an unsupported field; answered as 400 BadRequest. */
public class SelectorException extends IllegalArgumentException {
  public SelectorException(String message) {
    super(message);
  }
}
