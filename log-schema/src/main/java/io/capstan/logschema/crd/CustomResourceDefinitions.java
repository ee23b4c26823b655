package io.capstan.logschema.crd;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.api.CustomResourceColumnDefinition;
import io.capstan.api.CustomResourceDefinition;
import io.capstan.api.CustomResourceDefinitionCondition;
import io.capstan.api.CustomResourceDefinitionNames;
import io.capstan.api.CustomResourceDefinitionSpec;
import io.capstan.api.CustomResourceDefinitionStatus;
import io.capstan.api.CustomResourceDefinitionVersion;
import io.capstan.api.CustomResourceSubresourceScale;
import io.capstan.api.CustomResourceSubresources;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.validation.FieldError;
import io.capstan.logschema.validation.Names;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.apache.avro.Schema;

/**
 * What a CustomResourceDefinition (apiextensions.k8s.io/v1) means for Capstan: its validation, as
 * kube-apiserver's ValidateCustomResourceDefinition does it (the parts Capstan serves), and the
 * registry entry ({@link Kind}) it describes.
 */
public final class CustomResourceDefinitions {
  public static final String NAMES_ACCEPTED = "NamesAccepted";
  public static final String ESTABLISHED = "Established";
  public static final String TERMINATING = "Terminating";
  public static final String SCOPE_NAMESPACED = "Namespaced";
  public static final String SCOPE_CLUSTER = "Cluster";
  /**
   * The finalizer that holds a deleted definition until every object of its kind is gone
   * (added on the first delete, as kube-apiserver's CRD store does; removed by the cleanup controller).
   */
  public static final String CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io";
  /** Definitions (by name) being deleted whose kind is still served, so that its objects can be deleted. */
  private static final Set<String> TERMINATING_DEFINITIONS = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private CustomResourceDefinitions() {}

  // ---- validation ----

  /** Every problem with a definition, with field paths; empty when it is valid. */
  public static List<FieldError> validate(CustomResourceDefinition crd) {
    List<FieldError> errors = new ArrayList<>();
    CustomResourceDefinitionSpec spec = crd.getSpec();
    if (spec == null) {
      errors.add(FieldError.required("spec"));
      return errors;
    }
    String group = str(spec.getGroup());
    CustomResourceDefinitionNames names = spec.getNames();
    String plural = names == null ? "" : str(names.getPlural());
    String name = crd.getMetadata() == null ? "" : str(crd.getMetadata().getName());
    if (!name.equals(plural + "." + group)) {
      errors.add(FieldError.invalid("metadata.name", name, "must be spec.names.plural+\".\"+spec.group"));
    }
    if (group.isEmpty()) {
      errors.add(FieldError.required("spec.group"));
    } else {
      Names.dns1123Subdomain(group).forEach(m -> errors.add(FieldError.invalid("spec.group", group, m)));
      if (!group.contains(".")) {
        errors.add(FieldError.invalid("spec.group", group, "should be a domain with at least one dot"));
      }
    }
    String scope = str(spec.getScope());
    if (scope.isEmpty()) {
      errors.add(FieldError.required("spec.scope"));
    } else if (!scope.equals(SCOPE_NAMESPACED) && !scope.equals(SCOPE_CLUSTER)) {
      errors.add(FieldError.notSupported("spec.scope", scope, List.of(SCOPE_CLUSTER, SCOPE_NAMESPACED)));
    }
    validateNames(names, "spec.names", errors);
    validateVersions(spec.getVersions(), errors);
    if (spec.getConversion() != null) {
      String strategy = str(spec.getConversion().getStrategy());
      if (strategy.equals("Webhook")) {
        errors.add(FieldError.invalid("spec.conversion.strategy", strategy,
            "webhook conversion is not supported by Capstan yet; use None"));
      } else if (!strategy.equals("None")) {
        errors.add(FieldError.notSupported("spec.conversion.strategy", strategy, List.of("None", "Webhook")));
      }
    }
    if (Boolean.TRUE.equals(spec.getPreserveUnknownFields())) {
      errors.add(FieldError.invalid("spec.preserveUnknownFields", true,
          "must be false in order to use defaults in the schema"));
    }
    return errors;
  }

  private static void validateNames(CustomResourceDefinitionNames names, String path, List<FieldError> errors) {
    if (names == null) {
      errors.add(FieldError.required(path));
      return;
    }
    String plural = str(names.getPlural());
    if (plural.isEmpty()) {
      errors.add(FieldError.required(path + ".plural"));
    } else {
      lowerLabel(path + ".plural", plural, errors);
    }
    if (!str(names.getSingular()).isEmpty()) {
      lowerLabel(path + ".singular", names.getSingular(), errors);
    }
    String kind = str(names.getKind());
    if (kind.isEmpty()) {
      errors.add(FieldError.required(path + ".kind"));
    } else if (!kind.matches("[A-Za-z][A-Za-z0-9]*")) {
      errors.add(FieldError.invalid(path + ".kind", kind, "must start with a letter and hold only letters and digits"));
    }
    String listKind = str(names.getListKind());
    if (!listKind.isEmpty()) {
      if (!listKind.matches("[A-Za-z][A-Za-z0-9]*")) {
        errors.add(FieldError.invalid(path + ".listKind", listKind,
            "must start with a letter and hold only letters and digits"));
      }
      if (listKind.equals(kind)) {
        errors.add(FieldError.invalid(path + ".listKind", listKind, "kind and listKind may not be the same"));
      }
    }
    List<String> shortNames = names.getShortNames() == null ? List.of() : names.getShortNames();
    for (int i = 0; i < shortNames.size(); i++) {
      lowerLabel(path + ".shortNames[" + i + "]", shortNames.get(i), errors);
    }
    List<String> categories = names.getCategories() == null ? List.of() : names.getCategories();
    for (int i = 0; i < categories.size(); i++) {
      lowerLabel(path + ".categories[" + i + "]", categories.get(i), errors);
    }
  }

  private static void lowerLabel(String path, String value, List<FieldError> errors) {
    Names.dns1035Label(value).forEach(m -> errors.add(FieldError.invalid(path, value, m)));
  }

  private static void validateVersions(List<CustomResourceDefinitionVersion> versions, List<FieldError> errors) {
    if (versions == null || versions.isEmpty()) {
      errors.add(FieldError.invalid("spec.versions", "[]", "must have exactly one version marked as storage version"));
      return;
    }
    int storage = 0;
    boolean served = false;
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < versions.size(); i++) {
      CustomResourceDefinitionVersion v = versions.get(i);
      String path = "spec.versions[" + i + "]";
      String name = str(v.getName());
      if (name.isEmpty()) {
        errors.add(FieldError.required(path + ".name"));
      } else {
        Names.dns1035Label(name).forEach(m -> errors.add(FieldError.invalid(path + ".name", name, m)));
        if (!seen.add(name)) {
          errors.add(FieldError.duplicate(path + ".name", name));
        }
      }
      storage += v.getStorage() ? 1 : 0;
      served |= v.getServed();
      String schemaPath = path + ".schema.openAPIV3Schema";
      if (v.getSchema$() == null || v.getSchema$().getOpenAPIV3Schema() == null) {
        errors.add(FieldError.required(schemaPath, "schemas are required"));
      } else {
        JsonNode parsed = parse(v.getSchema$().getOpenAPIV3Schema());
        StructuralSchema.check(parsed, schemaPath, errors);
        CelRules.checkCompiles(parsed, schemaPath, errors); // a rule that does not compile: 422 on the definition
      }
      CustomResourceSubresources sub = v.getSubresources();
      if (sub != null && sub.getScale() != null) {
        CustomResourceSubresourceScale scale = sub.getScale();
        jsonPath(path + ".subresources.scale.specReplicasPath", scale.getSpecReplicasPath(), ".spec.", errors);
        jsonPath(path + ".subresources.scale.statusReplicasPath", scale.getStatusReplicasPath(), ".status.", errors);
        if (scale.getLabelSelectorPath() != null) {
          jsonPath(path + ".subresources.scale.labelSelectorPath", scale.getLabelSelectorPath(), null, errors);
        }
      }
      validateColumns(v.getAdditionalPrinterColumns(), path + ".additionalPrinterColumns", errors);
    }
    if (storage != 1) {
      errors.add(FieldError.invalid("spec.versions", storage + " storage versions",
          "must have exactly one version marked as storage version"));
    }
    if (!served) {
      errors.add(FieldError.invalid("spec.versions", "no served version", "must have at least one served version"));
    }
  }

  private static final List<String> COLUMN_TYPES = List.of("integer", "number", "string", "boolean", "date");
  private static final List<String> COLUMN_FORMATS = List.of("int32", "int64", "float", "double", "byte", "date",
      "date-time", "password");

  /** As ValidateCustomResourceColumnDefinition: name, a known type and format, a JSONPath starting with a dot. */
  private static void validateColumns(List<CustomResourceColumnDefinition> columns, String path,
      List<FieldError> errors) {
    if (columns == null) {
      return;
    }
    for (int i = 0; i < columns.size(); i++) {
      CustomResourceColumnDefinition c = columns.get(i);
      String at = path + "[" + i + "]";
      if (str(c.getName()).isEmpty()) {
        errors.add(FieldError.required(at + ".name"));
      }
      if (str(c.getType()).isEmpty()) {
        errors.add(FieldError.required(at + ".type"));
      } else if (!COLUMN_TYPES.contains(c.getType())) {
        errors.add(FieldError.notSupported(at + ".type", c.getType(), COLUMN_TYPES));
      }
      if (c.getFormat() != null && !c.getFormat().isEmpty() && !COLUMN_FORMATS.contains(c.getFormat())) {
        errors.add(FieldError.notSupported(at + ".format", c.getFormat(), COLUMN_FORMATS));
      }
      if (c.getPriority() != null && c.getPriority() < 0) {
        errors.add(FieldError.invalid(at + ".priority", String.valueOf(c.getPriority()),
            "must be greater than or equal to 0"));
      }
      jsonPath(at + ".jsonPath", c.getJsonPath(), null, errors);
    }
  }

  private static void jsonPath(String path, String value, String prefix, List<FieldError> errors) {
    String v = str(value);
    if (v.isEmpty()) {
      errors.add(FieldError.required(path));
    } else if (prefix != null && !v.startsWith(prefix)) {
      errors.add(FieldError.invalid(path, v, "should be a json path under " + prefix));
    } else if (!v.startsWith(".")) {
      errors.add(FieldError.invalid(path, v, "must be a simple json path starting with ."));
    }
  }

  // ---- the registry entry ----

  /** The version objects are stored in (exactly one, once the definition is valid). */
  public static CustomResourceDefinitionVersion storageVersion(CustomResourceDefinition crd) {
    return crd.getSpec().getVersions().stream().filter(CustomResourceDefinitionVersion::getStorage).findFirst()
        .orElseThrow(() -> new IllegalArgumentException(crd.getMetadata().getName() + " has no storage version"));
  }

  /**
   * The kind a valid definition describes, with the Avro schema derived from its storage
   * version's OpenAPI schema.
   */
  public static Kind kindOf(CustomResourceDefinition crd) {
    CustomResourceDefinitionSpec spec = crd.getSpec();
    CustomResourceDefinitionNames names = spec.getNames();
    CustomResourceDefinitionVersion storage = storageVersion(crd);
    ObjectNode openApi = (ObjectNode) parse(storage.getSchema$().getOpenAPIV3Schema());
    Schema schema = CustomKindSchema.derive(spec.getGroup(), names.getKind(), openApi);
    List<String> served = spec.getVersions().stream().filter(CustomResourceDefinitionVersion::getServed)
        .map(CustomResourceDefinitionVersion::getName).toList();
    List<String> servedVersions = new ArrayList<>(served);
    if (!servedVersions.contains(storage.getName())) {
      servedVersions.add(storage.getName()); // an unserved storage version is still the one objects are kept in
    }
    CustomResourceSubresources sub = storage.getSubresources();
    Kind.Scale scale = sub == null || sub.getScale() == null ? null : new Kind.Scale(
        sub.getScale().getSpecReplicasPath(), sub.getScale().getStatusReplicasPath(),
        sub.getScale().getLabelSelectorPath());
    Kind.Subresources subresources = new Kind.Subresources(sub != null && sub.getStatus() != null, scale);
    return new Kind(names.getKind(), spec.getGroup(), storage.getName(), names.getPlural(),
        SCOPE_NAMESPACED.equals(spec.getScope()), orEmpty(names.getShortNames()), orEmpty(names.getCategories()),
        schema, subresources, str(names.getSingular()).isEmpty() ? names.getKind().toLowerCase(Locale.ROOT)
            : names.getSingular(), servedVersions, openApi, Kind.Origin.CUSTOM, versionDetails(crd));
  }

  /** What the definition says of each served version: deprecation, printer columns, schema. */
  static List<Kind.VersionDetails> versionDetails(CustomResourceDefinition crd) {
    List<Kind.VersionDetails> details = new ArrayList<>();
    for (CustomResourceDefinitionVersion v : crd.getSpec().getVersions()) {
      if (!v.getServed() && !v.getStorage()) {
        continue;
      }
      List<Kind.PrinterColumn> columns = new ArrayList<>();
      if (v.getAdditionalPrinterColumns() != null) {
        for (CustomResourceColumnDefinition c : v.getAdditionalPrinterColumns()) {
          columns.add(new Kind.PrinterColumn(c.getName(), c.getType(), c.getFormat(), c.getDescription(),
              c.getPriority() == null ? 0 : c.getPriority(), c.getJsonPath()));
        }
      }
      ObjectNode schema = v.getSchema$() == null || v.getSchema$().getOpenAPIV3Schema() == null ? null
          : (ObjectNode) parse(v.getSchema$().getOpenAPIV3Schema());
      details.add(new Kind.VersionDetails(v.getName(), Boolean.TRUE.equals(v.getDeprecated()),
          v.getDeprecationWarning(), columns, schema));
    }
    return details;
  }

  // ---- status ----

  /** The condition of this type, if the definition's status has it. */
  public static Optional<CustomResourceDefinitionCondition> condition(CustomResourceDefinition crd, String type) {
    CustomResourceDefinitionStatus status = crd.getStatus();
    if (status == null || status.getConditions() == null) {
      return Optional.empty();
    }
    return status.getConditions().stream().filter(c -> type.equals(c.getType())).findFirst();
  }

  /** Whether the definition is Established: its kind is served. */
  public static boolean established(CustomResourceDefinition crd) {
    return condition(crd, ESTABLISHED).map(c -> "True".equals(c.getStatus())).orElse(false);
  }

  // ---- following definitions ----

  /**
   * Keeps the kind registry in step with a definition a process reads: an established definition
   * has its kind registered, or its entry replaced; one that is not has it removed. A definition
   * being deleted keeps its kind served (its objects are deleted through it) but marked
   * terminating: no new objects are created (see {@link #terminating}). Returns why the kind could
   * not be registered, if it could not.
   */
  public static Optional<String> follow(CustomResourceDefinition crd) {
    String name = crd.getMetadata().getName();
    if (!established(crd)) {
      unfollow(name);
      return Optional.empty();
    }
    if (crd.getMetadata().getDeletionTimestamp() != null) {
      TERMINATING_DEFINITIONS.add(name);
    } else {
      TERMINATING_DEFINITIONS.remove(name);
    }
    try {
      Kinds.register(kindOf(crd));
      return Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.of(e.getMessage());
    }
  }

  /** The kind of a definition that is gone (by the definition's name, {@code <plural>.<group>}) leaves the registry. */
  public static void unfollow(String definitionName) {
    TERMINATING_DEFINITIONS.remove(definitionName);
    Kinds.all().stream().filter(Kind::custom).filter(k -> definitionName.equals(k.plural() + "." + k.group()))
        .findFirst().ifPresent(k -> Kinds.unregister(k.kind()));
  }

  /**
   * Whether the kind's definition is being deleted: its objects are being removed, and creating
   * new ones is refused (as kube-apiserver's custom resource handler refuses them).
   */
  public static boolean terminating(Kind kind) {
    return kind.custom() && TERMINATING_DEFINITIONS.contains(definitionName(kind));
  }

  /** The name of the definition of a custom kind: {@code <plural>.<group>}. */
  public static String definitionName(Kind kind) {
    return kind.plural() + "." + kind.group();
  }

  /** Whether the definition still carries the cleanup finalizer. */
  public static boolean hasCleanupFinalizer(CustomResourceDefinition crd) {
    List<String> f = crd.getMetadata().getFinalizers();
    return f != null && f.contains(CLEANUP_FINALIZER);
  }

  static JsonNode parse(String json) {
    try {
      return KubeJson.jsonMapper().readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
    }
  }

  private static List<String> orEmpty(List<String> l) {
    return l == null ? List.of() : l;
  }

  private static String str(String s) {
    return s == null ? "" : s;
  }
}
