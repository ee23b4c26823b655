package io.capstan.logschema.validation;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Name syntaxes of the Kubernetes API (k8s.io/apimachinery/pkg/util/validation). Each
 * check returns the problems in Kubernetes' words; an empty list means valid.
 */
public final class Names {
  public static final int DNS1123_LABEL_MAX = 63;
  public static final int DNS1123_SUBDOMAIN_MAX = 253;
  public static final int QUALIFIED_NAME_MAX = 63;
  public static final int LABEL_VALUE_MAX = 63;
  public static final int IANA_SVC_NAME_MAX = 15;

  private static final String LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
  private static final Pattern DNS1123_LABEL = Pattern.compile(LABEL_FMT);
  private static final Pattern DNS1123_SUBDOMAIN = Pattern.compile(LABEL_FMT + "(\\." + LABEL_FMT + ")*");
  private static final String DNS1035_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?";
  private static final Pattern DNS1035_LABEL = Pattern.compile(DNS1035_FMT);
  private static final String QUALIFIED_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
  private static final Pattern QUALIFIED = Pattern.compile(QUALIFIED_FMT);
  private static final Pattern IANA_SVC_NAME = Pattern.compile("[-a-z0-9]+");
  private static final Pattern HAS_LETTER = Pattern.compile(".*[a-z].*");
  private static final Pattern CONFIG_KEY = Pattern.compile("[-._a-zA-Z0-9]+");

  private Names() {}

  /** A lowercase RFC 1123 label: container, namespace and volume names. */
  public static List<String> dns1123Label(String value) {
    List<String> errs = new ArrayList<>();
    if (value.length() > DNS1123_LABEL_MAX) {
      errs.add("must be no more than 63 characters");
    }
    if (!DNS1123_LABEL.matcher(value).matches()) {
      errs.add("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
          + "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
          + "validation is '" + LABEL_FMT + "')");
    }
    return errs;
  }

  /** A lowercase RFC 1123 subdomain: the name of most objects. */
  public static List<String> dns1123Subdomain(String value) {
    List<String> errs = new ArrayList<>();
    if (value.length() > DNS1123_SUBDOMAIN_MAX) {
      errs.add("must be no more than 253 characters");
    }
    if (!DNS1123_SUBDOMAIN.matcher(value).matches()) {
      errs.add("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
          + "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
          + "validation is '" + LABEL_FMT + "(\\." + LABEL_FMT + ")*')");
    }
    return errs;
  }

  /** An RFC 1035 label (starts with a letter): Service names, so they work as DNS names and env var prefixes. */
  public static List<String> dns1035Label(String value) {
    List<String> errs = new ArrayList<>();
    if (value.length() > DNS1123_LABEL_MAX) {
      errs.add("must be no more than 63 characters");
    }
    if (!DNS1035_LABEL.matcher(value).matches()) {
      errs.add("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
          + "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
          + "regex used for validation is '" + DNS1035_FMT + "')");
    }
    return errs;
  }

  /** A label or annotation key: an optional DNS subdomain prefix and '/', then a name of at most 63 characters. */
  public static List<String> qualifiedName(String value) {
    List<String> errs = new ArrayList<>();
    String name = value;
    int slash = value.indexOf('/');
    if (slash >= 0) {
      String prefix = value.substring(0, slash);
      name = value.substring(slash + 1);
      if (prefix.isEmpty()) {
        errs.add("prefix part must be non-empty");
      } else {
        for (String e : dns1123Subdomain(prefix)) {
          errs.add("prefix part " + e);
        }
      }
      if (name.indexOf('/') >= 0) {
        errs.add("a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and "
            + "end with an alphanumeric character, with an optional DNS subdomain prefix and '/'");
        return errs;
      }
    }
    if (name.isEmpty()) {
      errs.add("name part must be non-empty");
    } else {
      if (name.length() > QUALIFIED_NAME_MAX) {
        errs.add("name part must be no more than 63 characters");
      }
      if (!QUALIFIED.matcher(name).matches()) {
        errs.add("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
            + "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
            + "validation is '" + QUALIFIED_FMT + "')");
      }
    }
    return errs;
  }

  /** A label value: empty, or at most 63 alphanumerics, '-', '_' or '.' starting and ending alphanumeric. */
  public static List<String> labelValue(String value) {
    List<String> errs = new ArrayList<>();
    if (value.length() > LABEL_VALUE_MAX) {
      errs.add("must be no more than 63 characters");
    }
    if (!value.isEmpty() && !QUALIFIED.matcher(value).matches()) {
      errs.add("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
          + "and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "
          + "'12345', regex used for validation is '(" + QUALIFIED_FMT + ")?')");
    }
    return errs;
  }

  /** An IANA service name: what a named port may be called (at most 15 characters, a letter, no "--"). */
  public static List<String> ianaServiceName(String value) {
    List<String> errs = new ArrayList<>();
    if (value.length() > IANA_SVC_NAME_MAX) {
      errs.add("must be no more than 15 characters");
    }
    if (!IANA_SVC_NAME.matcher(value).matches()) {
      errs.add("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
    }
    if (value.contains("--")) {
      errs.add("must not contain consecutive hyphens");
    }
    if (!HAS_LETTER.matcher(value).matches()) {
      errs.add("must contain at least one letter (a-z)");
    }
    if (value.startsWith("-") || value.endsWith("-")) {
      errs.add("must not begin or end with a hyphen");
    }
    return errs;
  }

  /** A ConfigMap or Secret data key: a file name. */
  public static List<String> configMapKey(String value) {
    List<String> errs = new ArrayList<>();
    if (value.length() > DNS1123_SUBDOMAIN_MAX) {
      errs.add("must be no more than 253 characters");
    }
    if (!CONFIG_KEY.matcher(value).matches()) {
      errs.add("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  "
          + "or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')");
    }
    if (value.equals(".") || value.equals("..")) {
      errs.add("must not be '" + value + "'");
    } else if (value.startsWith("..")) {
      errs.add("must not start with '..'");
    }
    return errs;
  }

  /** Ports in the API: 1 through 65535. */
  public static boolean isValidPort(long port) {
    return port >= 1 && port <= 65535;
  }
}
