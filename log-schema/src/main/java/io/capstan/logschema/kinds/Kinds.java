package io.capstan.logschema.kinds;

import io.capstan.api.ConfigMap;
import io.capstan.api.CustomResourceDefinition;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.apache.avro.Schema;

/**
 * The registry of every resource kind Capstan stores: the built-in kinds, compiled from
 * api.avdl, and custom kinds registered at run time from their CustomResourceDefinitions.
 * Everything that works per kind (routing, discovery, the processor, informers, garbage
 * collection, replay, audit) looks kinds up here.
 *
 * <p>Reads are lock-free on an immutable snapshot; registrations replace the snapshot and
 * then tell the listeners ({@link #subscribe}), in order, on the registering thread.
 */
public final class Kinds {
  private static final List<String> ALL_CATEGORY = List.of("all");

  // core/v1
  public static final Kind NAMESPACE =
      Kind.builtIn("Namespace", "", "v1", "namespaces", false, List.of("ns"), List.of(), Namespace.getClassSchema(), true);
  public static final Kind NODE =
      Kind.builtIn("Node", "", "v1", "nodes", false, List.of("no"), List.of(), Node.getClassSchema(), true);
  public static final Kind POD =
      Kind.builtIn("Pod", "", "v1", "pods", true, List.of("po"), ALL_CATEGORY, Pod.getClassSchema(), true);
  public static final Kind SERVICE =
      Kind.builtIn("Service", "", "v1", "services", true, List.of("svc"), ALL_CATEGORY, Service.getClassSchema(), true);
  public static final Kind ENDPOINTS =
      Kind.builtIn("Endpoints", "", "v1", "endpoints", true, List.of("ep"), List.of(), Endpoints.getClassSchema(), false);
  public static final Kind CONFIG_MAP =
      Kind.builtIn("ConfigMap", "", "v1", "configmaps", true, List.of("cm"), List.of(), ConfigMap.getClassSchema(), false);
  public static final Kind SECRET =
      Kind.builtIn("Secret", "", "v1", "secrets", true, List.of(), List.of(), Secret.getClassSchema(), false);
  public static final Kind EVENT =
      Kind.builtIn("Event", "", "v1", "events", true, List.of("ev"), List.of(), Event.getClassSchema(), false);
  public static final Kind RESOURCE_QUOTA =
      Kind.builtIn("ResourceQuota", "", "v1", "resourcequotas", true, List.of("quota"), List.of(),
          ResourceQuota.getClassSchema(), true);
  public static final Kind LIMIT_RANGE =
      Kind.builtIn("LimitRange", "", "v1", "limitranges", true, List.of("limits"), List.of(),
          LimitRange.getClassSchema(), false);
  public static final Kind SERVICE_ACCOUNT =
      Kind.builtIn("ServiceAccount", "", "v1", "serviceaccounts", true, List.of("sa"), List.of(),
          io.capstan.api.ServiceAccount.getClassSchema(), false);
  public static final Kind PERSISTENT_VOLUME =
      Kind.builtIn("PersistentVolume", "", "v1", "persistentvolumes", false, List.of("pv"), List.of(),
          io.capstan.api.PersistentVolume.getClassSchema(), true);
  public static final Kind PERSISTENT_VOLUME_CLAIM =
      Kind.builtIn("PersistentVolumeClaim", "", "v1", "persistentvolumeclaims", true, List.of("pvc"), List.of(),
          io.capstan.api.PersistentVolumeClaim.getClassSchema(), true);
  // storage.k8s.io/v1
  public static final Kind STORAGE_CLASS =
      Kind.builtIn("StorageClass", "storage.k8s.io", "v1", "storageclasses", false, List.of("sc"), List.of(),
          io.capstan.api.StorageClass.getClassSchema(), false);
  // apps/v1
  public static final Kind DEPLOYMENT =
      Kind.builtIn("Deployment", "apps", "v1", "deployments", true, List.of("deploy"), ALL_CATEGORY,
          Deployment.getClassSchema(), true);
  public static final Kind REPLICA_SET =
      Kind.builtIn("ReplicaSet", "apps", "v1", "replicasets", true, List.of("rs"), ALL_CATEGORY,
          ReplicaSet.getClassSchema(), true);
  public static final Kind DAEMON_SET =
      Kind.builtIn("DaemonSet", "apps", "v1", "daemonsets", true, List.of("ds"), ALL_CATEGORY,
          io.capstan.api.DaemonSet.getClassSchema(), true);
  public static final Kind CONTROLLER_REVISION =
      Kind.builtIn("ControllerRevision", "apps", "v1", "controllerrevisions", true, List.of(), List.of(),
          io.capstan.api.ControllerRevision.getClassSchema(), false);
  public static final Kind STATEFUL_SET =
      Kind.builtIn("StatefulSet", "apps", "v1", "statefulsets", true, List.of("sts"), ALL_CATEGORY,
          io.capstan.api.StatefulSet.getClassSchema(), true);
  // batch/v1
  public static final Kind JOB =
      Kind.builtIn("Job", "batch", "v1", "jobs", true, List.of(), ALL_CATEGORY, Job.getClassSchema(), true);
  public static final Kind CRON_JOB =
      Kind.builtIn("CronJob", "batch", "v1", "cronjobs", true, List.of("cj"), ALL_CATEGORY,
          io.capstan.api.CronJob.getClassSchema(), true);
  // scheduling.k8s.io/v1
  public static final Kind PRIORITY_CLASS =
      Kind.builtIn("PriorityClass", "scheduling.k8s.io", "v1", "priorityclasses", false, List.of("pc"), List.of(),
          io.capstan.api.PriorityClass.getClassSchema(), false);
  // coordination.k8s.io/v1
  public static final Kind LEASE =
      Kind.builtIn("Lease", "coordination.k8s.io", "v1", "leases", true, List.of(), List.of(), Lease.getClassSchema(), false);
  // discovery.k8s.io/v1
  public static final Kind ENDPOINT_SLICE =
      Kind.builtIn("EndpointSlice", "discovery.k8s.io", "v1", "endpointslices", true, List.of(), List.of(),
          io.capstan.api.EndpointSlice.getClassSchema(), false);
  // rbac.authorization.k8s.io/v1
  public static final String RBAC_GROUP = "rbac.authorization.k8s.io";
  public static final Kind ROLE =
      Kind.builtIn("Role", RBAC_GROUP, "v1", "roles", true, List.of(), List.of(), io.capstan.api.Role.getClassSchema(),
          false);
  public static final Kind CLUSTER_ROLE =
      Kind.builtIn("ClusterRole", RBAC_GROUP, "v1", "clusterroles", false, List.of(), List.of(),
          io.capstan.api.ClusterRole.getClassSchema(), false);
  public static final Kind ROLE_BINDING =
      Kind.builtIn("RoleBinding", RBAC_GROUP, "v1", "rolebindings", true, List.of(), List.of(),
          io.capstan.api.RoleBinding.getClassSchema(), false);
  public static final Kind CLUSTER_ROLE_BINDING =
      Kind.builtIn("ClusterRoleBinding", RBAC_GROUP, "v1", "clusterrolebindings", false, List.of(), List.of(),
          io.capstan.api.ClusterRoleBinding.getClassSchema(), false);
  // policy/v1
  public static final Kind POD_DISRUPTION_BUDGET =
      Kind.builtIn("PodDisruptionBudget", "policy", "v1", "poddisruptionbudgets", true, List.of("pdb"), List.of(),
          io.capstan.api.PodDisruptionBudget.getClassSchema(), true);
  // autoscaling/v2, served in autoscaling/v1 too (converted: Conversions)
  public static final Kind HORIZONTAL_POD_AUTOSCALER =
      new Kind("HorizontalPodAutoscaler", "autoscaling", "v2", "horizontalpodautoscalers", true, List.of("hpa"),
          ALL_CATEGORY, io.capstan.api.HorizontalPodAutoscaler.getClassSchema(), Kind.Subresources.STATUS, null,
          List.of("v2", "v1"), null, Kind.Origin.BUILT_IN);
  // apiextensions.k8s.io/v1
  public static final Kind CUSTOM_RESOURCE_DEFINITION =
      Kind.builtIn("CustomResourceDefinition", "apiextensions.k8s.io", "v1", "customresourcedefinitions", false,
          List.of("crd", "crds"), List.of("api-extensions"), CustomResourceDefinition.getClassSchema(), true);

  private static final List<Kind> BUILT_IN = List.of(NAMESPACE, NODE, POD, SERVICE, ENDPOINTS, CONFIG_MAP, SECRET,
      EVENT, RESOURCE_QUOTA, LIMIT_RANGE, DEPLOYMENT, REPLICA_SET, JOB, LEASE, CUSTOM_RESOURCE_DEFINITION,
      ENDPOINT_SLICE, SERVICE_ACCOUNT, ROLE, CLUSTER_ROLE, ROLE_BINDING, CLUSTER_ROLE_BINDING,
      POD_DISRUPTION_BUDGET, CRON_JOB, PRIORITY_CLASS, DAEMON_SET, CONTROLLER_REVISION,
      STATEFUL_SET, PERSISTENT_VOLUME, PERSISTENT_VOLUME_CLAIM, STORAGE_CLASS,
      HORIZONTAL_POD_AUTOSCALER);

  /** What listeners hear: a kind entered the registry (or replaced its entry), or left it. */
  public sealed interface Change {
    Kind kind();

    record Registered(Kind kind) implements Change {}

    record Unregistered(Kind kind) implements Change {}
  }

  /** An immutable view of the registry: by kind name, and by schema full name. */
  private record Snapshot(Map<String, Kind> byName, Map<String, Kind> bySchema) {
    static Snapshot of(List<Kind> kinds) {
      Map<String, Kind> byName = new LinkedHashMap<>();
      Map<String, Kind> bySchema = new LinkedHashMap<>();
      for (Kind k : kinds) {
        byName.put(k.kind(), k);
        bySchema.put(k.schema().getFullName(), k);
      }
      return new Snapshot(java.util.Collections.unmodifiableMap(byName), java.util.Collections.unmodifiableMap(bySchema));
    }
  }

  private static volatile Snapshot current;
  private static final List<Consumer<Change>> LISTENERS = new CopyOnWriteArrayList<>();

  static {
    TrustedModelClasses.install();
    current = Snapshot.of(BUILT_IN);
  }

  private Kinds() {}

  /** Every kind, built-in first, then custom kinds in the order they were registered. */
  public static List<Kind> all() {
    return List.copyOf(current.byName().values());
  }

  /** The kinds compiled into Capstan. */
  public static List<Kind> builtIn() {
    return BUILT_IN;
  }

  public static Optional<Kind> byName(String kind) {
    return Optional.ofNullable(current.byName().get(kind));
  }

  /**
   * The kind a user means by any name kubectl accepts for it: the kind ({@code Deployment}), its
   * plural ({@code deployments}), singular ({@code deployment}) or a short name ({@code deploy});
   * case does not matter. A plural qualified by its group ({@code widgets.example.com}) names
   * exactly one kind.
   */
  public static Optional<Kind> lookup(String name) {
    String n = name.toLowerCase(java.util.Locale.ROOT);
    for (Kind k : current.byName().values()) {
      if (k.singular().equals(n) || k.plural().equals(n) || k.shortNames().contains(n)
          || k.kind().toLowerCase(java.util.Locale.ROOT).equals(n)
          || (!k.group().isEmpty() && n.equals(k.plural() + "." + k.group()))) {
        return Optional.of(k);
      }
    }
    return Optional.empty();
  }

  /** The kind, or an {@link IllegalArgumentException} naming the unknown kind. */
  public static Kind require(String kind) {
    Kind k = current.byName().get(kind);
    if (k == null) {
      throw new IllegalArgumentException("unknown kind \"" + kind + "\"; known kinds: " + current.byName().keySet());
    }
    return k;
  }

  /** The kind whose current schema has this full name. */
  public static Optional<Kind> bySchema(Schema schema) {
    return Optional.ofNullable(current.bySchema().get(schema.getFullName()));
  }

  public static Optional<Kind> byPlural(String group, String plural) {
    return current.byName().values().stream()
        .filter(k -> k.group().equals(group) && k.plural().equals(plural))
        .findFirst();
  }

  /**
   * The kind a manifest names with its {@code apiVersion} and {@code kind}, e.g.
   * {@code ("apps/v1", "Deployment")}; empty when Capstan does not serve that pair. Any served
   * version of a kind names it.
   */
  public static Optional<Kind> byApiVersionAndKind(String apiVersion, String kind) {
    Kind k = current.byName().get(kind);
    if (k == null) {
      return Optional.empty();
    }
    int slash = apiVersion.indexOf('/');
    String group = slash < 0 ? "" : apiVersion.substring(0, slash);
    String version = apiVersion.substring(slash + 1);
    return k.group().equals(group) && k.serves(version) ? Optional.of(k) : Optional.empty();
  }

  // ---- registration (custom kinds) ----

  /**
   * Why a custom kind could not be registered beside the kinds there are (its kind name, plural,
   * singular or a short name is another kind's), or empty when it can. An entry of the same kind
   * name in the same group is the kind itself, being replaced, and conflicts with nothing.
   */
  public static Optional<String> conflict(Kind candidate) {
    for (Kind k : current.byName().values()) {
      boolean same = k.kind().equals(candidate.kind()) && k.group().equals(candidate.group());
      if (same) {
        if (!k.custom()) {
          return Optional.of("kind " + k.kind() + " is built in");
        }
        continue;
      }
      if (k.kind().equals(candidate.kind())) {
        // Object keys name the kind without its group (kind/namespace/name).
        return Optional.of("kind " + candidate.kind() + " is already served by group \"" + k.group()
            + "\" (Capstan keeps kind names unique across groups)");
      }
      if (k.group().equals(candidate.group()) && k.plural().equals(candidate.plural())) {
        return Optional.of("plural " + candidate.plural() + " is already served in group \"" + k.group() + "\" by "
            + k.kind());
      }
      List<String> theirs = names(k);
      for (String mine : names(candidate)) {
        if (theirs.contains(mine) && (k.group().equals(candidate.group()) || k.shortNames().contains(mine)
            || candidate.shortNames().contains(mine))) {
          return Optional.of("name \"" + mine + "\" is already used by " + k.kind()
              + (k.group().isEmpty() ? "" : "." + k.group()));
        }
      }
    }
    return Optional.empty();
  }

  private static List<String> names(Kind k) {
    List<String> n = new java.util.ArrayList<>(k.shortNames());
    n.add(k.singular());
    n.add(k.plural());
    return n;
  }

  /**
   * Enters a custom kind (or replaces its entry, e.g. after its CRD changed), and tells the
   * listeners. Refused with an {@link IllegalArgumentException} when it is not custom or
   * {@link #conflict conflicts} with a registered kind.
   */
  public static synchronized void register(Kind kind) {
    if (!kind.custom()) {
      throw new IllegalArgumentException("only custom kinds are registered at run time, not " + kind.kind());
    }
    Optional<String> conflict = conflict(kind);
    if (conflict.isPresent()) {
      throw new IllegalArgumentException("cannot register " + kind.kind() + "." + kind.group() + ": "
          + conflict.get());
    }
    Kind before = current.byName().get(kind.kind());
    if (kind.equals(before)) {
      return;
    }
    List<Kind> kinds = new java.util.ArrayList<>(current.byName().values());
    if (before != null) {
      kinds.set(kinds.indexOf(before), kind);
    } else {
      kinds.add(kind);
    }
    current = Snapshot.of(kinds);
    tell(new Change.Registered(kind));
  }

  /** Removes a custom kind (its CRD was deleted); false when it was not registered. */
  public static synchronized boolean unregister(String kindName) {
    Kind k = current.byName().get(kindName);
    if (k == null) {
      return false;
    }
    if (!k.custom()) {
      throw new IllegalArgumentException("built-in kind " + kindName + " cannot be unregistered");
    }
    List<Kind> kinds = new java.util.ArrayList<>(current.byName().values());
    kinds.remove(k);
    current = Snapshot.of(kinds);
    tell(new Change.Unregistered(k));
    return true;
  }

  /**
   * Calls {@code listener} with a {@link Change.Registered} for every kind registered now, then
   * with every later change, on the thread that makes it. Returns what stops the calls.
   */
  public static synchronized AutoCloseable subscribe(Consumer<Change> listener) {
    for (Kind k : current.byName().values()) {
      listener.accept(new Change.Registered(k));
    }
    LISTENERS.add(listener);
    return () -> LISTENERS.remove(listener);
  }

  private static void tell(Change change) {
    for (Consumer<Change> l : LISTENERS) {
      l.accept(change);
    }
  }
}
