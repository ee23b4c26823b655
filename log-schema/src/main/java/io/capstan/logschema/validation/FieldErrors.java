package io.capstan.logschema.validation;

import io.capstan.logschema.json.FieldPath;
import io.capstan.logschema.resource.Quantity;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** The problems found so far in one object, with the small checks every rule set shares. */
final class FieldErrors {
  private final List<FieldError> errors = new ArrayList<>();

  List<FieldError> list() {
    return errors;
  }

  void add(FieldError e) {
    errors.add(e);
  }

  static boolean isEmpty(String s) {
    return s == null || s.isEmpty();
  }

  static <T> List<T> orEmpty(List<T> list) {
    return list == null ? List.of() : list;
  }

  static <V> Map<String, V> orEmpty(Map<String, V> map) {
    return map == null ? Map.of() : map;
  }

  /** A value required to be set, checked against a name syntax from {@link Names}. */
  void requiredName(String path, String value, Function<String, List<String>> syntax) {
    if (isEmpty(value)) {
      add(FieldError.required(path));
    } else {
      name(path, value, syntax);
    }
  }

  /** An optional value checked against a name syntax when set. */
  void name(String path, String value, Function<String, List<String>> syntax) {
    if (value != null) {
      for (String problem : syntax.apply(value)) {
        add(FieldError.invalid(path, value, problem));
      }
    }
  }

  /** An optional enumerated string. */
  void oneOf(String path, String value, List<String> supported) {
    if (value != null && !supported.contains(value)) {
      add(FieldError.notSupported(path, value, supported));
    }
  }

  void requiredOneOf(String path, String value, List<String> supported) {
    if (isEmpty(value)) {
      add(FieldError.required(path));
    } else {
      oneOf(path, value, supported);
    }
  }

  void port(String path, Number port) {
    if (port != null && !Names.isValidPort(port.longValue())) {
      add(FieldError.invalid(path, port, "must be between 1 and 65535, inclusive"));
    }
  }

  /** A port given as int-or-string: a number in range or an IANA service name (a named container port). */
  void portNumberOrName(String path, Object port) {
    if (port == null) {
      return;
    }
    if (port instanceof Number n) {
      port(path, n);
    } else if (port.toString().isEmpty()) {
      add(FieldError.required(path));
    } else {
      name(path, port.toString(), Names::ianaServiceName);
    }
  }

  void nonNegative(String path, Number value) {
    if (value != null && value.longValue() < 0) {
      add(FieldError.invalid(path, value, "must be greater than or equal to 0"));
    }
  }

  void positive(String path, Number value) {
    if (value != null && value.longValue() <= 0) {
      add(FieldError.invalid(path, value, "must be greater than zero"));
    }
  }

  /** A quantity; returns it parsed, or null (and records the problem) when it does not parse. */
  Quantity quantity(String path, String value) {
    if (value == null) {
      return null;
    }
    try {
      return Quantity.parse(value);
    } catch (IllegalArgumentException e) {
      add(FieldError.invalid(path, value, e.getMessage()));
      return null;
    }
  }

  /** A map of resource name to quantity (requests, limits, hard): names qualified, amounts non-negative. */
  void resourceList(String path, Map<String, String> resources) {
    for (Map.Entry<String, String> e : orEmpty(resources).entrySet()) {
      String entryPath = FieldPath.key(path, e.getKey());
      name(entryPath, e.getKey(), Names::qualifiedName);
      Quantity q = parseQuietly(e.getValue());
      if (q != null && q.signum() < 0) {
        add(FieldError.invalid(entryPath, e.getValue(), "must be greater than or equal to 0"));
      }
    }
  }

  /** Parses without reporting: the schema walk already reports quantities that do not parse. */
  static Quantity parseQuietly(String value) {
    try {
      return value == null ? null : Quantity.parse(value);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
