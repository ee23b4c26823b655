package io.capstan.logschema.kinds;

import io.capstan.api.ConfigMap;
import io.capstan.api.Namespace;
import io.capstan.api.Pod;
import io.capstan.api.Secret;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.Schema;

/** The registry of every resource kind Capstan stores. */
public final class Kinds {
  private static final List<String> ALL_CATEGORY = List.of("all");

  public static final Kind NAMESPACE =
      new Kind("Namespace", "", "v1", "namespaces", false, List.of("ns"), List.of(), Namespace.getClassSchema(), true);
  public static final Kind CONFIG_MAP =
      new Kind("ConfigMap", "", "v1", "configmaps", true, List.of("cm"), List.of(), ConfigMap.getClassSchema(), false);
  public static final Kind SECRET =
      new Kind("Secret", "", "v1", "secrets", true, List.of(), List.of(), Secret.getClassSchema(), false);
  public static final Kind POD =
      new Kind("Pod", "", "v1", "pods", true, List.of("po"), ALL_CATEGORY, Pod.getClassSchema(), true);

  private static final Map<String, Kind> BY_NAME = new LinkedHashMap<>();
  private static final Map<String, Kind> BY_SCHEMA = new LinkedHashMap<>();

  static {
    for (Kind k : List.of(NAMESPACE, CONFIG_MAP, SECRET, POD)) {
      BY_NAME.put(k.kind(), k);
      BY_SCHEMA.put(k.schema().getFullName(), k);
    }
  }

  private Kinds() {}

  /** Every kind, in a stable order. */
  public static List<Kind> all() {
    return List.copyOf(BY_NAME.values());
  }

  public static Optional<Kind> byName(String kind) {
    return Optional.ofNullable(BY_NAME.get(kind));
  }

  /** The kind, or an {@link IllegalArgumentException} naming the unknown kind. */
  public static Kind require(String kind) {
    Kind k = BY_NAME.get(kind);
    if (k == null) {
      throw new IllegalArgumentException("unknown kind \"" + kind + "\"; known kinds: " + BY_NAME.keySet());
    }
    return k;
  }

  /** The kind whose current schema has this full name. */
  public static Optional<Kind> bySchema(Schema schema) {
    return Optional.ofNullable(BY_SCHEMA.get(schema.getFullName()));
  }

  public static Optional<Kind> byPlural(String group, String plural) {
    return BY_NAME.values().stream()
        .filter(k -> k.group().equals(group) && k.plural().equals(plural))
        .findFirst();
  }
}
