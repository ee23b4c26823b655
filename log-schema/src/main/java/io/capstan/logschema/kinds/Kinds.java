package io.capstan.logschema.kinds;

import io.capstan.api.ConfigMap;
import io.capstan.api.Deployment;
import io.capstan.api.Endpoints;
import io.capstan.api.Event;
import io.capstan.api.Job;
import io.capstan.api.Lease;
import io.capstan.api.LimitRange;
import io.capstan.api.Namespace;
import io.capstan.api.Node;
import io.capstan.api.Pod;
import io.capstan.api.ReplicaSet;
import io.capstan.api.ResourceQuota;
import io.capstan.api.Secret;
import io.capstan.api.Service;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.Schema;

/** The registry of every resource kind Capstan stores. */
public final class Kinds {
  private static final List<String> ALL_CATEGORY = List.of("all");

  // core/v1
  public static final Kind NAMESPACE =
      new Kind("Namespace", "", "v1", "namespaces", false, List.of("ns"), List.of(), Namespace.getClassSchema(), true);
  public static final Kind NODE =
      new Kind("Node", "", "v1", "nodes", false, List.of("no"), List.of(), Node.getClassSchema(), true);
  public static final Kind POD =
      new Kind("Pod", "", "v1", "pods", true, List.of("po"), ALL_CATEGORY, Pod.getClassSchema(), true);
  public static final Kind SERVICE =
      new Kind("Service", "", "v1", "services", true, List.of("svc"), ALL_CATEGORY, Service.getClassSchema(), true);
  public static final Kind ENDPOINTS =
      new Kind("Endpoints", "", "v1", "endpoints", true, List.of("ep"), List.of(), Endpoints.getClassSchema(), false);
  public static final Kind CONFIG_MAP =
      new Kind("ConfigMap", "", "v1", "configmaps", true, List.of("cm"), List.of(), ConfigMap.getClassSchema(), false);
  public static final Kind SECRET =
      new Kind("Secret", "", "v1", "secrets", true, List.of(), List.of(), Secret.getClassSchema(), false);
  public static final Kind EVENT =
      new Kind("Event", "", "v1", "events", true, List.of("ev"), List.of(), Event.getClassSchema(), false);
  public static final Kind RESOURCE_QUOTA =
      new Kind("ResourceQuota", "", "v1", "resourcequotas", true, List.of("quota"), List.of(),
          ResourceQuota.getClassSchema(), true);
  public static final Kind LIMIT_RANGE =
      new Kind("LimitRange", "", "v1", "limitranges", true, List.of("limits"), List.of(),
          LimitRange.getClassSchema(), false);
  // apps/v1
  public static final Kind DEPLOYMENT =
      new Kind("Deployment", "apps", "v1", "deployments", true, List.of("deploy"), ALL_CATEGORY,
          Deployment.getClassSchema(), true);
  public static final Kind REPLICA_SET =
      new Kind("ReplicaSet", "apps", "v1", "replicasets", true, List.of("rs"), ALL_CATEGORY,
          ReplicaSet.getClassSchema(), true);
  // batch/v1
  public static final Kind JOB =
      new Kind("Job", "batch", "v1", "jobs", true, List.of(), ALL_CATEGORY, Job.getClassSchema(), true);
  // coordination.k8s.io/v1
  public static final Kind LEASE =
      new Kind("Lease", "coordination.k8s.io", "v1", "leases", true, List.of(), List.of(), Lease.getClassSchema(), false);

  private static final Map<String, Kind> BY_NAME = new LinkedHashMap<>();
  private static final Map<String, Kind> BY_SCHEMA = new LinkedHashMap<>();

  static {
    TrustedModelClasses.install();
    for (Kind k : List.of(NAMESPACE, NODE, POD, SERVICE, ENDPOINTS, CONFIG_MAP, SECRET, EVENT, RESOURCE_QUOTA,
        LIMIT_RANGE, DEPLOYMENT, REPLICA_SET, JOB, LEASE)) {
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

  /**
   * The kind a user means by any name kubectl accepts for it: the kind ({@code Deployment}), its
   * plural ({@code deployments}), singular ({@code deployment}) or a short name ({@code deploy});
   * case does not matter.
   */
  public static Optional<Kind> lookup(String name) {
    String n = name.toLowerCase(java.util.Locale.ROOT);
    for (Kind k : BY_NAME.values()) {
      if (k.singular().equals(n) || k.plural().equals(n) || k.shortNames().contains(n)) {
        return Optional.of(k);
      }
    }
    return Optional.empty();
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

  /**
   * The kind a manifest names with its {@code apiVersion} and {@code kind}, e.g.
   * {@code ("apps/v1", "Deployment")}; empty when Capstan does not serve that pair.
   */
  public static Optional<Kind> byApiVersionAndKind(String apiVersion, String kind) {
    Kind k = BY_NAME.get(kind);
    return k != null && k.apiVersion().equals(apiVersion) ? Optional.of(k) : Optional.empty();
  }
}
