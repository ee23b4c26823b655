package io.capstan.logschema.kinds;

import java.util.List;
import org.apache.avro.Schema;

/**
 * One resource kind as the API and the log know it.
 *
 * @param kind       the Kubernetes kind name, e.g. {@code Pod}
 * @param group      the API group, empty for the core group
 * @param version    the API version within the group, e.g. {@code v1}
 * @param plural     the resource name in URLs, e.g. {@code pods}
 * @param namespaced whether objects live in a namespace
 * @param shortNames kubectl short names, e.g. {@code po}
 * @param categories discovery categories, e.g. {@code all}
 * @param schema     the current Avro schema of the kind
 * @param hasStatus  whether the kind has a {@code status} subresource (updated only by updateStatus)
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
    boolean hasStatus) {

  /** {@code v1} for the core group, {@code apps/v1} otherwise: the JSON {@code apiVersion}. */
  public String apiVersion() {
    return group.isEmpty() ? version : group + "/" + version;
  }

  /** Lower-case singular name, e.g. {@code pod}, {@code configmap}. */
  public String singular() {
    return kind.toLowerCase(java.util.Locale.ROOT);
  }
}
