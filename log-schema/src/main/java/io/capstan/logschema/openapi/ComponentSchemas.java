package io.capstan.logschema.openapi;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.KubeField;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.avro.Schema;

/**
 * Translates Avro records into OpenAPI v3 component schemas the way k8s.io/kube-openapi
 * writes them: object references as {@code allOf: [{$ref}]} with {@code default: {}}, patch
 * strategies as {@code x-kubernetes-patch-strategy} / {@code x-kubernetes-patch-merge-key},
 * kinds tagged with {@code x-kubernetes-group-version-kind}.
 */
final class ComponentSchemas {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  static final String REF_PREFIX = "#/components/schemas/";

  private final SchemaNames names;
  /** Sorted by name so documents (and their hashes) are deterministic. */
  private final TreeMap<String, ObjectNode> schemas = new TreeMap<>();

  ComponentSchemas(SchemaNames names) {
    this.names = names;
  }

  TreeMap<String, ObjectNode> schemas() {
    return schemas;
  }

  /** Adds a kind's schema, every record it reaches and its List kind. */
  void addKind(Kind kind) {
    if (kind.openApiSchema() != null) { // a custom kind, or a built-in one in a converted version
      addCustomKind(kind);
      return;
    }
    String name = record(kind.schema());
    ObjectNode schema = schemas.get(name);
    ObjectNode props = (ObjectNode) schema.get("properties");
    ObjectNode reordered = NODES.objectNode();
    reordered.set("apiVersion", string("APIVersion defines the versioned schema of this representation of an object. "
        + "Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values."));
    reordered.set("kind", string("Kind is a string value representing the REST resource this object represents. "
        + "Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase."));
    reordered.setAll(props);
    ((ObjectNode) reordered.get("metadata")).put("description",
        "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata");
    schema.set("properties", reordered);
    schema.set("x-kubernetes-group-version-kind", gvk(kind.group(), kind.version(), kind.kind()));
    if (schema.get("description") == null) {
      schema.put("description", kind.kind() + " is a " + (kind.namespaced() ? "namespaced" : "cluster-scoped")
          + " " + kind.apiVersion() + " resource stored by Capstan.");
    }

    addList(kind, name, reordered);
  }

  /**
   * A custom kind's component is its definition's OpenAPI schema for the version, with
   * apiVersion, kind and metadata (ObjectMeta) added, as apiextensions-apiserver publishes it
   * (and so is a built-in kind's in a version it is converted to, e.g. autoscaling/v1).
   */
  private void addCustomKind(Kind kind) {
    String name = SchemaNames.packageOf(kind) + kind.kind();
    ObjectNode schema = kind.openApiSchema().deepCopy();
    ObjectNode props = schema.get("properties") instanceof ObjectNode p ? p : NODES.objectNode();
    ObjectNode reordered = NODES.objectNode();
    reordered.set("apiVersion", string("APIVersion defines the versioned schema of this representation of an object. "
        + "Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values."));
    reordered.set("kind", string("Kind is a string value representing the REST resource this object represents. "
        + "Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase."));
    ObjectNode metadata = ref(record(io.capstan.api.ObjectMeta.getClassSchema()));
    metadata.put("description", "Standard object's metadata. More info: "
        + "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata");
    reordered.set("metadata", metadata);
    props.fields().forEachRemaining(e -> {
      if (!List.of("apiVersion", "kind", "metadata").contains(e.getKey())) {
        reordered.set(e.getKey(), e.getValue());
      }
    });
    schema.put("type", "object");
    schema.set("properties", reordered);
    schema.set("x-kubernetes-group-version-kind", gvk(kind.group(), kind.version(), kind.kind()));
    schemas.put(name, schema);
    addList(kind, name, reordered);
  }

  private void addList(Kind kind, String name, ObjectNode reordered) {
    ObjectNode list = NODES.objectNode();
    list.put("description", kind.kind() + "List is a list of " + kind.kind() + " objects.");
    list.put("type", "object");
    list.putArray("required").add("items");
    ObjectNode listProps = list.putObject("properties");
    listProps.set("apiVersion", reordered.get("apiVersion").deepCopy());
    ObjectNode items = listProps.putObject("items");
    items.put("description", "List of " + kind.plural() + ".");
    items.put("type", "array");
    items.set("items", ref(name));
    listProps.set("kind", reordered.get("kind").deepCopy());
    ObjectNode listMeta = ref(SchemaNames.META + "ListMeta");
    listMeta.put("description", "Standard list metadata.");
    listProps.set("metadata", listMeta);
    list.set("x-kubernetes-group-version-kind", gvk(kind.group(), kind.version(), kind.kind() + "List"));
    schemas.put(name + "List", list);
    addMetaTypes();
  }

  /** The record's component (added on first use), returning its name. */
  String record(Schema record) {
    String name = names.of(record);
    if (schemas.containsKey(name)) {
      return name;
    }
    ObjectNode out = NODES.objectNode();
    schemas.put(name, out); // before the walk, so recursive records terminate
    if (record.getDoc() != null && !record.getDoc().isBlank()) {
      out.put("description", record.getDoc().trim());
    }
    out.put("type", "object");
    ArrayNode required = NODES.arrayNode();
    ObjectNode props = NODES.objectNode();
    for (Schema.Field f : record.getFields()) {
      KubeField kf = KubeField.of(f);
      ObjectNode prop = value(kf.valueSchema(), kf.format());
      if (f.doc() != null && !f.doc().isBlank()) {
        prop.put("description", f.doc().trim());
      }
      kf.patchStrategy().ifPresent(s -> prop.put("x-kubernetes-patch-strategy", s));
      kf.mergeKey().ifPresent(k -> prop.put("x-kubernetes-patch-merge-key", k));
      if (kf.valueSchema().getType() == Schema.Type.ARRAY) {
        boolean mapList = kf.mergeKey().isPresent() && kf.patchStrategy().map(s -> s.contains("merge")).orElse(false);
        prop.put("x-kubernetes-list-type", mapList ? "map" : kf.patchStrategy().isPresent() ? "set" : "atomic");
        if (mapList) {
          prop.putArray("x-kubernetes-list-map-keys").add(kf.mergeKey().get());
        }
      }
      if (kf.required()) {
        required.add(f.name());
      }
      props.set(f.name(), prop);
    }
    out.set("properties", props);
    if (!required.isEmpty()) {
      out.set("required", required);
    }
    return name;
  }

  private ObjectNode value(Schema schema, Optional<String> format) {
    Schema s = KubeField.nonNull(schema);
    if (format.isPresent()) {
      switch (format.get()) {
        case KubeField.FORMAT_QUANTITY -> {
          if (s.getType() == Schema.Type.STRING) {
            addQuantity();
            return ref(SchemaNames.QUANTITY);
          }
        }
        case KubeField.FORMAT_DATE_TIME -> {
          addTime();
          return ref(SchemaNames.TIME);
        }
        case KubeField.FORMAT_INT_OR_STRING -> {
          addIntOrString();
          return ref(SchemaNames.INT_OR_STRING);
        }
        case KubeField.FORMAT_JSON -> {
          if (s.getType() == Schema.Type.STRING) {
            return NODES.objectNode().put("x-kubernetes-preserve-unknown-fields", true);
          }
        }
        default -> { }
      }
    }
    ObjectNode out = NODES.objectNode();
    switch (s.getType()) {
      case RECORD -> {
        return ref(record(s));
      }
      case ARRAY -> {
        out.put("type", "array");
        out.set("items", value(s.getElementType(), format));
      }
      case MAP -> {
        out.put("type", "object");
        out.set("additionalProperties", value(s.getValueType(), format));
      }
      case STRING -> out.put("type", "string");
      case BYTES -> out.put("type", "string").put("format", "byte");
      case INT -> out.put("type", "integer").put("format", "int32");
      case LONG -> out.put("type", "integer").put("format", "int64");
      case FLOAT -> out.put("type", "number").put("format", "float");
      case DOUBLE -> out.put("type", "number").put("format", "double");
      case BOOLEAN -> out.put("type", "boolean");
      case ENUM -> {
        out.put("type", "string");
        ArrayNode symbols = out.putArray("enum");
        s.getEnumSymbols().forEach(symbols::add);
      }
      case UNION -> {
        // A union of several non-null branches that is not int-or-string: accept any of them.
        ArrayNode anyOf = out.putArray("anyOf");
        s.getTypes().forEach(t -> anyOf.add(value(t, Optional.empty())));
      }
      default -> out.put("type", "object");
    }
    return out;
  }

  static ObjectNode ref(String name) {
    ObjectNode out = NODES.objectNode();
    out.putArray("allOf").addObject().put("$ref", REF_PREFIX + name);
    out.putObject("default");
    return out;
  }

  static ArrayNode gvk(String group, String version, String kind) {
    ArrayNode out = NODES.arrayNode();
    out.addObject().put("group", group).put("kind", kind).put("version", version);
    return out;
  }

  private static ObjectNode string(String description) {
    return NODES.objectNode().put("description", description).put("type", "string");
  }

  private void addQuantity() {
    schemas.computeIfAbsent(SchemaNames.QUANTITY, n -> NODES.objectNode()
        .put("description", "Quantity is a fixed-point representation of a number, e.g. 100m, 1.5, 128Mi, 1G.")
        .put("type", "string").put("format", "quantity"));
  }

  private void addTime() {
    schemas.computeIfAbsent(SchemaNames.TIME, n -> NODES.objectNode()
        .put("description", "Time is an RFC 3339 date and time, e.g. 2026-01-02T15:04:05Z.")
        .put("type", "string").put("format", "date-time"));
  }

  private void addIntOrString() {
    schemas.computeIfAbsent(SchemaNames.INT_OR_STRING, n -> NODES.objectNode()
        .put("description", "IntOrString holds an int32 or a string, e.g. 8080 or \"http\" or \"25%\".")
        .put("type", "string").put("format", "int-or-string").put("x-kubernetes-int-or-string", true));
  }

  /** The metav1 types every group-version document refers to (lists, Status, DeleteOptions, Patch). */
  private void addMetaTypes() {
    if (schemas.containsKey(SchemaNames.META + "Status")) {
      return;
    }
    ObjectNode listMeta = NODES.objectNode().put("description", "ListMeta describes metadata of lists.")
        .put("type", "object");
    ObjectNode lp = listMeta.putObject("properties");
    lp.set("continue", string("Token to fetch the next chunk of the list; empty when this is the last chunk."));
    lp.set("remainingItemCount", NODES.objectNode().put("type", "integer").put("format", "int64"));
    lp.set("resourceVersion", string("The version of the list, for watching from it."));
    schemas.put(SchemaNames.META + "ListMeta", listMeta);

    ObjectNode cause = NODES.objectNode().put("description", "One cause of an error.").put("type", "object");
    ObjectNode cp = cause.putObject("properties");
    cp.set("field", string("The path of the field at fault, e.g. spec.containers[0].name."));
    cp.set("message", string("A human-readable description of the cause."));
    cp.set("reason", string("A machine-readable description of the cause, e.g. FieldValueRequired."));
    schemas.put(SchemaNames.META + "StatusCause", cause);

    ObjectNode details = NODES.objectNode().put("type", "object");
    ObjectNode dp = details.putObject("properties");
    ObjectNode causes = dp.putObject("causes").put("type", "array");
    causes.set("items", ref(SchemaNames.META + "StatusCause"));
    for (String s : List.of("group", "kind", "name", "uid")) {
      dp.set(s, NODES.objectNode().put("type", "string"));
    }
    dp.set("retryAfterSeconds", NODES.objectNode().put("type", "integer").put("format", "int32"));
    schemas.put(SchemaNames.META + "StatusDetails", details);

    ObjectNode status = NODES.objectNode().put("description", "Status is the result of a call that returns no object.")
        .put("type", "object");
    ObjectNode sp = status.putObject("properties");
    sp.set("apiVersion", NODES.objectNode().put("type", "string"));
    sp.set("code", NODES.objectNode().put("type", "integer").put("format", "int32"));
    sp.set("details", ref(SchemaNames.META + "StatusDetails"));
    sp.set("kind", NODES.objectNode().put("type", "string"));
    sp.set("message", NODES.objectNode().put("type", "string"));
    sp.set("metadata", ref(SchemaNames.META + "ListMeta"));
    sp.set("reason", NODES.objectNode().put("type", "string"));
    sp.set("status", NODES.objectNode().put("type", "string"));
    status.set("x-kubernetes-group-version-kind", gvk("", "v1", "Status"));
    schemas.put(SchemaNames.META + "Status", status);

    ObjectNode preconditions = NODES.objectNode().put("type", "object");
    ObjectNode pp = preconditions.putObject("properties");
    pp.set("resourceVersion", NODES.objectNode().put("type", "string"));
    pp.set("uid", NODES.objectNode().put("type", "string"));
    schemas.put(SchemaNames.META + "Preconditions", preconditions);

    ObjectNode deleteOptions = NODES.objectNode().put("description", "DeleteOptions may be provided when deleting an API object.")
        .put("type", "object");
    ObjectNode op = deleteOptions.putObject("properties");
    op.set("apiVersion", NODES.objectNode().put("type", "string"));
    op.set("dryRun", NODES.objectNode().put("type", "array").set("items", NODES.objectNode().put("type", "string")));
    op.set("gracePeriodSeconds", NODES.objectNode().put("type", "integer").put("format", "int64"));
    op.set("kind", NODES.objectNode().put("type", "string"));
    op.set("preconditions", ref(SchemaNames.META + "Preconditions"));
    op.set("propagationPolicy", string("Orphan, Background or Foreground."));
    deleteOptions.set("x-kubernetes-group-version-kind", gvk("", "v1", "DeleteOptions"));
    schemas.put(SchemaNames.META + "DeleteOptions", deleteOptions);

    schemas.put(SchemaNames.META + "Patch", NODES.objectNode()
        .put("description", "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.")
        .put("type", "object"));
  }
}
