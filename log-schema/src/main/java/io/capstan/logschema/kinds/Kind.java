package io.capstan.logschema.kinds;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.apache.avro.Schema;

/**
 * One resource kind as the API and the log know it: one entry of the {@link Kinds} registry.
 * Built-in kinds are described by their compiled Avro schemas; custom kinds by a
 * CustomResourceDefinition, whose OpenAPI v3 schema their Avro schema is derived from.
 *
 * @param kind           the Kubernetes kind name, e.g. {@code Pod}; the registry key, and the kind in object keys
 * @param group          the API group, empty for the core group
 * @param version        the storage version within the group, e.g. {@code v1}: the one objects are kept in
 * @param plural         the resource name in URLs, e.g. {@code pods}
 * @param namespaced     whether objects live in a namespace
 * @param shortNames     kubectl short names, e.g. {@code po}
 * @param categories     discovery categories, e.g. {@code all}
 * @param schema         the current Avro schema of the kind
 * @param subresources   which subresources the kind serves (status, scale)
 * @param singular       the lower-case singular name, e.g. {@code pod}
 * @param servedVersions every version the API serves the kind in (the storage version among them)
 * @param openApiSchema  the kind's OpenAPI v3 schema as its CRD declares it; null for built-in kinds,
 *                       whose OpenAPI schema is generated from their Avro schema
 * @param origin         where the entry came from
 * @param versions       what a custom kind's definition says of each served version (deprecation,
 *                       printer columns, schema); empty for built-in kinds
 */
public record Kind(
    String kind,
    String group,
    String version,
    String plural,
    boolean namespaced,
    List<String> shortNames,
    List<String> categories,
    Schema schema,
    Subresources subresources,
    String singular,
    List<String> servedVersions,
    ObjectNode openApiSchema,
    Origin origin,
    List<VersionDetails> versions) {

  /** Where a registry entry came from. */
  public enum Origin {
    /** Compiled into Capstan (api.avdl). */
    BUILT_IN,
    /** Registered at run time from an established CustomResourceDefinition. */
    CUSTOM
  }

  /**
   * The subresources of a kind.
   *
   * @param status whether the kind has a {@code status} subresource (status then changes only through it)
   * @param scale  the {@code scale} subresource's paths, or null when the kind has none
   */
  public record Subresources(boolean status, Scale scale) {
    public static final Subresources NONE = new Subresources(false, null);
    public static final Subresources STATUS = new Subresources(true, null);
  }

  /**
   * Where the scale subresource finds its numbers, as a CRD's {@code subresources.scale} says:
   * JSON paths such as {@code .spec.replicas}.
   */
  public record Scale(String specReplicasPath, String statusReplicasPath, String labelSelectorPath) {}

  /**
   * One served version of a custom kind, as its definition declares it.
   *
   * @param name               the version, e.g. {@code v1beta1}
   * @param deprecated         whether requests in it get a deprecation warning
   * @param deprecationWarning the warning's text, or null for Kubernetes' default
   * @param printerColumns     the {@code additionalPrinterColumns} of {@code kubectl get}
   * @param openApiSchema      the version's OpenAPI v3 schema (null when it has none)
   */
  public record VersionDetails(String name, boolean deprecated, String deprecationWarning,
      List<PrinterColumn> printerColumns, ObjectNode openApiSchema) {
    public VersionDetails {
      Objects.requireNonNull(name, "name");
      printerColumns = printerColumns == null ? List.of() : List.copyOf(printerColumns);
    }
  }

  /** An {@code additionalPrinterColumns} entry: a Table column read from each object by a JSONPath. */
  public record PrinterColumn(String name, String type, String format, String description, int priority,
      String jsonPath) {}

  /** A kind without per-version details (built-in kinds; custom kinds described by their storage version only). */
  public Kind(String kind, String group, String version, String plural, boolean namespaced, List<String> shortNames,
      List<String> categories, Schema schema, Subresources subresources, String singular, List<String> servedVersions,
      ObjectNode openApiSchema, Origin origin) {
    this(kind, group, version, plural, namespaced, shortNames, categories, schema, subresources, singular,
        servedVersions, openApiSchema, origin, List.of());
  }

  public Kind {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(group, "group");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(plural, "plural");
    Objects.requireNonNull(schema, "schema");
    Objects.requireNonNull(origin, "origin");
    shortNames = List.copyOf(shortNames);
    categories = List.copyOf(categories);
    subresources = subresources == null ? Subresources.NONE : subresources;
    singular = singular == null || singular.isEmpty() ? kind.toLowerCase(Locale.ROOT) : singular;
    servedVersions = servedVersions == null || servedVersions.isEmpty() ? List.of(version) : List.copyOf(servedVersions);
    versions = versions == null ? List.of() : List.copyOf(versions);
    if (!servedVersions.contains(version)) {
      throw new IllegalArgumentException(kind + ": the storage version " + version + " is not among the served "
          + servedVersions);
    }
  }

  /** A built-in kind, served in its one version. */
  public static Kind builtIn(String kind, String group, String version, String plural, boolean namespaced,
      List<String> shortNames, List<String> categories, Schema schema, boolean hasStatus) {
    return new Kind(kind, group, version, plural, namespaced, shortNames, categories, schema,
        hasStatus ? Subresources.STATUS : Subresources.NONE, null, List.of(version), null, Origin.BUILT_IN);
  }

  /** {@code v1} for the core group, {@code apps/v1} otherwise: the JSON {@code apiVersion} of the storage version. */
  public String apiVersion() {
    return apiVersion(version);
  }

  /** The JSON {@code apiVersion} of one of the kind's versions. */
  public String apiVersion(String version) {
    return group.isEmpty() ? version : group + "/" + version;
  }

  /** Whether the kind has a {@code status} subresource (updated only by updateStatus). */
  public boolean hasStatus() {
    return subresources.status();
  }

  public boolean custom() {
    return origin == Origin.CUSTOM;
  }

  /** The details of one version of a custom kind, if its definition gave them. */
  public java.util.Optional<VersionDetails> details(String version) {
    return versions.stream().filter(v -> v.name().equals(version)).findFirst();
  }

  /** Whether the API serves the kind in this version. */
  public boolean serves(String version) {
    return servedVersions.contains(version);
  }
}
