package io.capstan.logschema.json;

import java.util.regex.Pattern;

/**
 * JSON field paths as Kubernetes prints them in errors: {@code spec.containers[0].name},
 * map keys as {@code metadata.labels.app}, or in brackets when the key is not a plain word
 * ({@code metadata.annotations[app.kubernetes.io/name]}), so a path never reads ambiguously.
 */
public final class FieldPath {
  private static final Pattern PLAIN_KEY = Pattern.compile("[A-Za-z0-9_-]+");

  private FieldPath() {}

  public static String field(String parent, String name) {
    return parent.isEmpty() ? name : parent + "." + name;
  }

  public static String index(String parent, int index) {
    return parent + "[" + index + "]";
  }

  public static String key(String parent, String key) {
    return PLAIN_KEY.matcher(key).matches() ? field(parent, key) : parent + "[" + key + "]";
  }
}
