package io.capstan.logschema.openapi;

import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.KubeField;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.Schema;

/**
 * Kubernetes' names for the model's records, e.g. {@code io.k8s.api.core.v1.Pod} and
 * {@code io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta}. A nested record takes the package of
 * the first kind that reaches it, core kinds first, so PodSpec is core/v1 even when reached
 * from a Deployment, as in k8s.io/api.
 */
final class SchemaNames {
  static final String META = "io.k8s.apimachinery.pkg.apis.meta.v1.";
  static final String QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity";
  static final String INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
  static final String TIME = META + "Time";

  /** metav1 types, which live in apimachinery rather than in a group's package. */
  private static final Set<String> META_RECORDS =
      Set.of("ObjectMeta", "OwnerReference", "LabelSelector", "LabelSelectorRequirement", "Condition");
  /** core/v1 types that no core kind reaches but workloads embed. */
  private static final Set<String> CORE_RECORDS = Set.of("PodTemplateSpec");

  private final Map<String, String> byAvroName = new HashMap<>();

  SchemaNames(List<Kind> kinds) {
    List<Kind> coreFirst = kinds.stream().sorted((a, b) -> Boolean.compare(!a.group().isEmpty(), !b.group().isEmpty()))
        .toList();
    for (Kind kind : coreFirst) {
      assign(kind.schema(), packageOf(kind));
    }
  }

  /** The Java-style package of a kind in k8s.io/api, e.g. {@code io.k8s.api.apps.v1.}. */
  static String packageOf(Kind kind) {
    String group = kind.group().isEmpty() ? "core" : kind.group().split("\\.")[0];
    return "io.k8s.api." + group + "." + kind.version() + ".";
  }

  /** The component name of an Avro record of the model. */
  String of(Schema record) {
    String name = byAvroName.get(record.getFullName());
    if (name == null) {
      throw new IllegalArgumentException("record " + record.getFullName() + " is not reachable from any kind");
    }
    return name;
  }

  private void assign(Schema schema, String pkg) {
    Schema s = KubeField.nonNull(schema);
    switch (s.getType()) {
      case RECORD -> {
        if (byAvroName.containsKey(s.getFullName())) {
          return;
        }
        byAvroName.put(s.getFullName(), (META_RECORDS.contains(s.getName()) ? META
            : CORE_RECORDS.contains(s.getName()) ? "io.k8s.api.core.v1." : pkg) + s.getName());
        for (Schema.Field f : s.getFields()) {
          assign(f.schema(), pkg);
        }
      }
      case ARRAY -> assign(s.getElementType(), pkg);
      case MAP -> assign(s.getValueType(), pkg);
      case UNION -> s.getTypes().forEach(t -> assign(t, pkg));
      default -> { }
    }
  }
}
