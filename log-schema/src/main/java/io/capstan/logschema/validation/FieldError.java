package io.capstan.logschema.validation;

import java.util.List;
import java.util.stream.Collectors;

/**
 * One thing wrong with an object, as a Kubernetes {@code StatusCause}.
 *
 * @param field  the JSON path of the offending field, e.g. {@code spec.containers[0].name}
 * @param reason Kubernetes cause type: FieldValueRequired, FieldValueInvalid, FieldValueNotSupported,
 *               FieldValueDuplicate, FieldValueTooLong, FieldValueForbidden, FieldValueNotFound
 * @param message what is wrong, naming the value when useful (worded as k8s.io/apimachinery's field errors)
 */
public record FieldError(String field, String reason, String message) {
  public static FieldError required(String field) {
    return new FieldError(field, "FieldValueRequired", "Required value");
  }

  /** Kubernetes' wording with a detail, e.g. {@code Required value: must specify a handler type}. */
  public static FieldError required(String field, String detail) {
    return new FieldError(field, "FieldValueRequired", "Required value: " + detail);
  }

  public static FieldError invalid(String field, Object value, String detail) {
    return new FieldError(field, "FieldValueInvalid", "Invalid value: " + render(value) + ": " + detail);
  }

  public static FieldError notSupported(String field, Object value, List<String> supported) {
    return new FieldError(field, "FieldValueNotSupported", "Unsupported value: " + render(value)
        + ": supported values: " + supported.stream().map(s -> "\"" + s + "\"").collect(Collectors.joining(", ")));
  }

  public static FieldError duplicate(String field, Object value) {
    return new FieldError(field, "FieldValueDuplicate", "Duplicate value: " + render(value));
  }

  public static FieldError forbidden(String field, String detail) {
    return new FieldError(field, "FieldValueForbidden", "Forbidden: " + detail);
  }

  public static FieldError tooLong(String field, int max) {
    return new FieldError(field, "FieldValueTooLong", "Too long: may not be more than " + max + " bytes");
  }

  public static FieldError notFound(String field, Object value) {
    return new FieldError(field, "FieldValueNotFound", "Not found: " + render(value));
  }

  /** Strings quoted, numbers and booleans bare, as field.Error renders them. */
  private static String render(Object value) {
    return value instanceof Number || value instanceof Boolean ? String.valueOf(value) : "\"" + value + "\"";
  }

  /** Kubernetes' rendering: {@code spec.containers[0].name: Required value}. */
  @Override
  public String toString() {
    return field + ": " + message;
  }
}
