package io.capstan.stateviews.processor.rules;

import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.validation.FieldError;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The object-name rules every kind shares (Kubernetes' {@code ValidateObjectMeta}): a name is
 * required and is an RFC 1123 subdomain; a Namespace's name is an RFC 1123 label. Kept here so
 * the processor enforces them even while the schema-driven validator is incomplete.
 */
public final class NameRules {
  private static final String LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
  private static final Pattern LABEL_PATTERN = Pattern.compile(LABEL);
  private static final Pattern SUBDOMAIN_PATTERN = Pattern.compile(LABEL + "(\\." + LABEL + ")*");
  static final int LABEL_MAX = 63;
  static final int SUBDOMAIN_MAX = 253;

  private NameRules() {}

  /** Problems with {@code metadata.name} of an object of this kind; empty when it is fine. */
  public static List<FieldError> checkName(Kind kind, String name) {
    List<FieldError> errors = new ArrayList<>();
    if (name == null || name.isEmpty()) {
      errors.add(new FieldError("metadata.name", "FieldValueRequired", "Required value: name or generateName is required"));
      return errors;
    }
    if (kind.group().equals(io.capstan.logschema.validation.RbacRules.GROUP)) {
      // RBAC names are URL path segments (ValidateRBACName), e.g. system:basic-user.
      for (String problem : io.capstan.logschema.validation.RbacRules.pathSegmentName(name)) {
        errors.add(FieldError.invalid("metadata.name", name, problem));
      }
      return errors;
    }
    boolean label = kind.kind().equals("Namespace");
    int max = label ? LABEL_MAX : SUBDOMAIN_MAX;
    if (name.length() > max) {
      errors.add(new FieldError("metadata.name", "FieldValueInvalid",
          "Invalid value: \"" + name + "\": must be no more than " + max + " characters"));
    }
    if (label && !LABEL_PATTERN.matcher(name).matches()) {
      errors.add(FieldError.invalid("metadata.name", name,
          "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and"
              + " end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '"
              + LABEL + "')"));
    } else if (!label && !SUBDOMAIN_PATTERN.matcher(name).matches()) {
      errors.add(FieldError.invalid("metadata.name", name,
          "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must"
              + " start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '"
              + LABEL + "(\\." + LABEL + ")*')"));
    }
    return errors;
  }
}
