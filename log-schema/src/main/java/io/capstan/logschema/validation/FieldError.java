package io.capstan.logschema.validation;

/**
 * One thing wrong with an object, as a Kubernetes {@code StatusCause}.
 *
 * @param field  the JSON path of the offending field, e.g. {@code spec.containers[0].name}
 * @param reason Kubernetes cause type: FieldValueRequired, FieldValueInvalid, FieldValueNotSupported,
 *               FieldValueDuplicate, FieldValueTooLong, FieldValueForbidden
 * @param message what is wrong, naming the value when useful
 */
public record FieldError(String field, String reason, String message) {
  public static FieldError required(String field) {
    return new FieldError(field, "FieldValueRequired", "Required value");
  }

  public static FieldError invalid(String field, Object value, String detail) {
    return new FieldError(field, "FieldValueInvalid", "Invalid value: \"" + value + "\": " + detail);
  }

  /** Kubernetes' rendering: {@code spec.containers[0].name: Required value}. */
  @Override
  public String toString() {
    return field + ": " + message;
  }
}
