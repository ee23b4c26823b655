package io.capstan.stateviews.bootstrap;

import io.capstan.api.AggregationRule;
import io.capstan.api.ClusterRole;
import io.capstan.api.ClusterRoleBinding;
import io.capstan.api.LabelSelector;
import io.capstan.api.ObjectMeta;
import io.capstan.api.PolicyRule;
import io.capstan.api.RoleRef;
import io.capstan.api.Subject;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default ClusterRoles and ClusterRoleBindings of kube-apiserver's bootstrap policy, for the
 * resources Capstan serves: {@code cluster-admin} (bound to {@code system:masters}), the
 * user-facing {@code admin}, {@code edit} and {@code view} (aggregated from the
 * {@code system:aggregate-to-*} roles by their labels), {@code system:basic-user} and
 * {@code system:discovery} for every authenticated user, {@code system:public-info-viewer}
 * for everyone, {@code system:monitoring} ({@code /metrics} and the probes) for the group of
 * that name, {@code system:node} for {@code system:nodes}, and the roles of Capstan's components,
 * which the command processor authorizes their commands by: {@code system:kube-scheduler} (with
 * {@code system:volume-scheduler}) and {@code system:kube-controller-manager}, each bound to the
 * user of that name. Reconciled as kube's bootstrap does by default: created when absent, left alone
 * when present (AlreadyExists is success), so an operator's edits survive restarts.
 */
public final class DefaultRoles {
  private static final Logger log = LoggerFactory.getLogger(DefaultRoles.class);

  static {
    io.capstan.logschema.kinds.TrustedModelClasses.install(); // reconciled() copies records through Avro
  }
  public static final String GROUP = "rbac.authorization.k8s.io";
  public static final String AGGREGATE_TO = "rbac.authorization.k8s.io/aggregate-to-";
  private static final Map<String, String> BOOTSTRAP_LABELS = Map.of("kubernetes.io/bootstrapping", "rbac-defaults");
  private static final String AUTOUPDATE_KEY = "rbac.authorization.kubernetes.io/autoupdate";
  private static final Map<String, String> AUTOUPDATE = Map.of(AUTOUPDATE_KEY, "true");
  private static final List<String> READ = List.of("get", "list", "watch");
  private static final List<String> WRITE = List.of("create", "delete", "deletecollection", "patch", "update");
  private static final List<String> ALL_VERBS = List.of("create", "delete", "deletecollection", "get", "list", "patch",
      "update", "watch");

  /** The nodes' role and group: node agents' client certificates are {@code system:node:NAME} in {@value #NODES_GROUP}. */
  public static final String NODE_ROLE = "system:node";
  public static final String NODES_GROUP = "system:nodes";
  public static final String NODE_USER_PREFIX = "system:node:";

  /** The scheduler's identity, role and the volume binding role kube also binds it to. */
  public static final String SCHEDULER_USER = "system:kube-scheduler";
  public static final String SCHEDULER_ROLE = "system:kube-scheduler";
  public static final String VOLUME_SCHEDULER_ROLE = "system:volume-scheduler";
  /** The controller manager's identity and role (one identity for every controller it runs). */
  public static final String CONTROLLER_MANAGER_USER = "system:kube-controller-manager";
  public static final String CONTROLLER_MANAGER_ROLE = "system:kube-controller-manager";

  private DefaultRoles() {}

  /**
   * What a node agent writes, as kube's {@code system:node} role grants it (NodeRestriction then
   * narrows each write to the node's own objects): its Node and status, its Lease, the status of
   * its pods and their deletion, mirror pods, events, its pods' ServiceAccount tokens; and, for
   * Capstan's local-path provisioner, PersistentVolumes (pinned to the node) and claims (only to
   * hand one selected for the node back to the scheduler). No Secret or ConfigMap
   * reads: kube grants those through the Node authorizer, for the node's pods only.
   */
  static List<PolicyRule> nodeRules() {
    return List.of(
        rule(List.of("create"), "", "serviceaccounts/token"),
        rule(List.of("create", "delete", "get", "list", "patch", "update", "watch"), "", "nodes"),
        rule(List.of("patch", "update"), "", "nodes/status"),
        rule(List.of("create", "delete", "get", "list", "watch"), "", "pods"),
        rule(List.of("patch", "update"), "", "pods/status"),
        rule(List.of("create"), "", "pods/eviction"),
        rule(List.of("create", "patch", "update"), "", "events"),
        rule(List.of("create", "delete", "get", "patch", "update"), "coordination.k8s.io", "leases"),
        rule(List.of("patch", "update"), "", "persistentvolumeclaims/status"),
        rule(List.of("create", "delete", "get"), "", "persistentvolumes"),
        rule(List.of("update"), "", "persistentvolumeclaims"));
  }

  /**
   * kube's {@code system:kube-scheduler}: read what scheduling looks at, bind pods, write their
   * status (unschedulable, nominated node), delete preemption victims, events, its leader Lease
   * (kube narrows get and update to the Lease {@code kube-scheduler}; Capstan's scheduler profiles
   * elect under their own names, so any Lease).
   */
  static List<PolicyRule> schedulerRules() {
    return List.of(
        rule(List.of("create", "patch", "update"), "", "events"),
        rule(List.of("create", "get", "update"), "coordination.k8s.io", "leases"),
        rule(READ, "", "nodes", "namespaces", "replicationcontrollers", "services", "persistentvolumeclaims",
            "persistentvolumes"),
        rule(List.of("delete", "get", "list", "watch"), "", "pods"),
        rule(List.of("create"), "", "bindings", "pods/binding"),
        rule(List.of("patch", "update"), "", "pods/status"),
        rule(READ, "apps", "replicasets", "statefulsets"),
        rule(READ, "policy", "poddisruptionbudgets"),
        rule(READ, "storage.k8s.io", "storageclasses"),
        rule(List.of("create"), "authentication.k8s.io", "tokenreviews"),
        rule(List.of("create"), "authorization.k8s.io", "subjectaccessreviews"));
  }

  /** kube's {@code system:volume-scheduler}: the scheduler's volume binding marks claims and volumes. */
  static List<PolicyRule> volumeSchedulerRules() {
    return List.of(
        rule(List.of("get", "list", "patch", "update", "watch"), "", "persistentvolumes", "persistentvolumeclaims"),
        rule(READ, "storage.k8s.io", "storageclasses"));
  }

  /**
   * The controller manager's role: the union of kube's {@code system:controller:*} roles for the
   * controllers Capstan runs under one identity. The garbage collector and the namespace
   * controller read, change and delete objects of every kind (kube grants them {@code *} on
   * {@code *}); creates are limited to what controllers make: pods, claims, endpoints and slices,
   * events, ServiceAccounts, the root CA ConfigMaps, ReplicaSets, ControllerRevisions and Jobs.
   */
  static List<PolicyRule> controllerManagerRules() {
    return List.of(
        rule(List.of("delete", "deletecollection", "get", "list", "patch", "update", "watch"), "*", "*"),
        rule(List.of("create"), "", "pods", "persistentvolumeclaims", "endpoints", "events", "serviceaccounts",
            "configmaps"),
        rule(List.of("create"), "apps", "replicasets", "controllerrevisions"),
        rule(List.of("create"), "batch", "jobs"),
        rule(List.of("create"), "discovery.k8s.io", "endpointslices"));
  }

  /** The rules of system:aggregate-to-view: read everything but Secrets and RBAC, and resource metrics. */
  static List<PolicyRule> viewRules() {
    return List.of(
        rule(READ, "", "configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods",
            "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services", "services/status"),
        rule(READ, "", "bindings", "events", "limitranges", "namespaces/status", "pods/log", "pods/status",
            "replicationcontrollers/status", "resourcequotas", "resourcequotas/status"),
        rule(READ, "", "namespaces"),
        rule(READ, "discovery.k8s.io", "endpointslices"),
        rule(READ, "apps", "controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale",
            "deployments/status", "replicasets", "replicasets/scale", "replicasets/status", "statefulsets",
            "statefulsets/scale", "statefulsets/status"),
        rule(READ, "autoscaling", "horizontalpodautoscalers", "horizontalpodautoscalers/status"),
        rule(READ, "batch", "cronjobs", "cronjobs/status", "jobs", "jobs/status"),
        rule(READ, "policy", "poddisruptionbudgets", "poddisruptionbudgets/status"),
        // metrics-server's system:aggregated-metrics-reader, aggregated into view (so edit and admin too)
        rule(READ, "metrics.k8s.io", "pods", "nodes"));
  }

  /** The rules of system:aggregate-to-edit: write workloads, Secrets and Services. */
  static List<PolicyRule> editRules() {
    return List.of(
        rule(List.of("impersonate"), "", "serviceaccounts"),
        rule(WRITE, "", "pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"),
        rule(List.of("create"), "", "pods/eviction"),
        rule(WRITE, "", "configmaps", "endpoints", "persistentvolumeclaims", "replicationcontrollers",
            "replicationcontrollers/scale", "secrets", "serviceaccounts", "services", "services/proxy"),
        rule(List.of("create"), "", "serviceaccounts/token"),
        rule(WRITE, "apps", "daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets",
            "replicasets/scale", "statefulsets", "statefulsets/scale"),
        rule(WRITE, "autoscaling", "horizontalpodautoscalers"),
        rule(WRITE, "batch", "cronjobs", "jobs"),
        rule(WRITE, "discovery.k8s.io", "endpointslices"),
        rule(WRITE, "policy", "poddisruptionbudgets"),
        rule(READ, "", "secrets", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "services/proxy"));
  }

  /** The rules of system:aggregate-to-admin: Roles and RoleBindings of the namespace, and local access reviews. */
  static List<PolicyRule> adminRules() {
    return List.of(
        rule(ALL_VERBS, GROUP, "rolebindings", "roles"),
        rule(List.of("create"), "authorization.k8s.io", "localsubjectaccessreviews"));
  }

  /** Every default ClusterRole, then every default ClusterRoleBinding, in creation order. */
  public static List<SpecificRecord> objects() {
    List<SpecificRecord> out = new ArrayList<>();
    out.add(clusterRole("cluster-admin", Map.of(), List.of(
        rule(List.of("*"), "*", "*"),
        PolicyRule.newBuilder().setVerbs(List.of("*")).setNonResourceURLs(List.of("*")).build()), null));
    out.add(clusterRole("system:aggregate-to-view", Map.of(AGGREGATE_TO + "view", "true"), viewRules(), null));
    out.add(clusterRole("system:aggregate-to-edit", Map.of(AGGREGATE_TO + "edit", "true"), editRules(), null));
    out.add(clusterRole("system:aggregate-to-admin", Map.of(AGGREGATE_TO + "admin", "true"), adminRules(), null));
    // The user-facing roles aggregate: view ⊂ edit ⊂ admin (each also aggregates into the next).
    // Their rules start as the union the aggregation controller keeps them at.
    List<PolicyRule> view = viewRules();
    List<PolicyRule> edit = concat(editRules(), view);
    List<PolicyRule> admin = concat(adminRules(), edit);
    out.add(clusterRole("view", Map.of(AGGREGATE_TO + "edit", "true"), view, "view"));
    out.add(clusterRole("edit", Map.of(AGGREGATE_TO + "admin", "true"), edit, "edit"));
    out.add(clusterRole("admin", Map.of(), admin, "admin"));
    out.add(clusterRole("system:basic-user", Map.of(), List.of(
        rule(List.of("create"), "authorization.k8s.io", "selfsubjectaccessreviews", "selfsubjectrulesreviews"),
        rule(List.of("create"), "authentication.k8s.io", "selfsubjectreviews")), null));
    out.add(clusterRole("system:discovery", Map.of(), List.of(PolicyRule.newBuilder().setVerbs(List.of("get"))
        .setNonResourceURLs(List.of("/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi",
            "/openapi/*", "/readyz", "/version", "/version/")).build()), null));
    out.add(clusterRole("system:public-info-viewer", Map.of(), List.of(PolicyRule.newBuilder()
        .setVerbs(List.of("get")).setNonResourceURLs(List.of("/healthz", "/livez", "/readyz", "/version", "/version/"))
        .build()), null));
    out.add(clusterRole("system:monitoring", Map.of(), List.of(PolicyRule.newBuilder().setVerbs(List.of("get"))
        .setNonResourceURLs(List.of("/healthz", "/healthz/*", "/livez", "/livez/*", "/metrics", "/metrics/slis",
            "/readyz", "/readyz/*")).build()), null));
    // What a node agent asks the API for: its pods' ServiceAccount tokens. kube grants system:node
    // through the Node authorizer; here a role bound to the nodes' group, and the gateway's
    // TokenRequest limits a node to tokens bound to pods scheduled on it (as NodeRestriction).
    out.add(clusterRole(NODE_ROLE, Map.of(), nodeRules(), null));
    out.add(clusterRole(SCHEDULER_ROLE, Map.of(), schedulerRules(), null));
    out.add(clusterRole(VOLUME_SCHEDULER_ROLE, Map.of(), volumeSchedulerRules(), null));
    out.add(clusterRole(CONTROLLER_MANAGER_ROLE, Map.of(), controllerManagerRules(), null));
    out.add(binding("cluster-admin", "cluster-admin", "system:masters"));
    out.add(binding("system:monitoring", "system:monitoring", "system:monitoring"));
    out.add(binding("system:basic-user", "system:basic-user", "system:authenticated"));
    out.add(binding("system:discovery", "system:discovery", "system:authenticated"));
    out.add(binding("system:public-info-viewer", "system:public-info-viewer", "system:authenticated",
        "system:unauthenticated"));
    out.add(binding(NODE_ROLE, NODE_ROLE, NODES_GROUP));
    out.add(userBinding(SCHEDULER_ROLE, SCHEDULER_ROLE, SCHEDULER_USER));
    out.add(userBinding(VOLUME_SCHEDULER_ROLE, VOLUME_SCHEDULER_ROLE, SCHEDULER_USER));
    out.add(userBinding(CONTROLLER_MANAGER_ROLE, CONTROLLER_MANAGER_ROLE, CONTROLLER_MANAGER_USER));
    return out;
  }

  /** What is stored now under a default ClusterRole's or ClusterRoleBinding's name. */
  public interface Stored {
    Optional<? extends SpecificRecord> get(String kind, String name);

    Stored NOTHING = (kind, name) -> Optional.empty();
  }

  /** Creates the default roles and bindings that are absent; blocks until each is answered. */
  public static void ensure(CommandClient client, Duration timeout) {
    ensure(client, timeout, Stored.NOTHING);
  }

  /**
   * Creates the default roles and bindings that are absent and, as kube-apiserver does at every
   * start, reconciles the ones that exist with this version's ({@link #reconciled}): a cluster
   * made by an earlier version gets the rules and subjects its components now need. Blocks until
   * each write is answered.
   */
  public static void ensure(CommandClient client, Duration timeout, Stored stored) {
    List<SpecificRecord> objects = objects();
    Map<String, CompletableFuture<CommandResult>> pending = new LinkedHashMap<>();
    Map<String, SpecificRecord> byWhat = new LinkedHashMap<>();
    for (SpecificRecord o : objects) {
      String what = o.getSchema().getName() + " " + metadata(o).getName();
      pending.put(what, client.create(o));
      byWhat.put(what, o);
    }
    int created = 0;
    Map<String, CompletableFuture<CommandResult>> updates = new LinkedHashMap<>();
    for (Map.Entry<String, CompletableFuture<CommandResult>> e : pending.entrySet()) {
      CommandResult r = await(e.getValue(), timeout, "creating the default " + e.getKey());
      if (r instanceof CommandResult.Accepted) {
        created++;
      } else if (r instanceof CommandResult.Rejected rej && !"AlreadyExists".equals(rej.status().getReason())) {
        throw new IllegalStateException("creating the default " + e.getKey() + " was refused: "
            + rej.status().getMessage());
      } else {
        SpecificRecord expected = byWhat.get(e.getKey());
        stored.get(expected.getSchema().getName(), metadata(expected).getName())
            .flatMap(have -> reconciled(have, expected))
            .ifPresent(update -> updates.put(e.getKey(), client.update(update)));
      }
    }
    if (created > 0) {
      log.info("created {} default RBAC roles and bindings", created);
    }
    for (Map.Entry<String, CompletableFuture<CommandResult>> e : updates.entrySet()) {
      CommandResult r = await(e.getValue(), timeout, "reconciling the default " + e.getKey());
      if (r instanceof CommandResult.Rejected rej) {
        log.warn("reconciling the default {} with this version's was refused: {}", e.getKey(),
            rej.status().getMessage());
      } else {
        log.info("reconciled the default {} with this version's: missing rules or subjects added", e.getKey());
      }
    }
  }

  private static CommandResult await(CompletableFuture<CommandResult> f, Duration timeout, String what) {
    try {
      return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception ex) {
      throw new IllegalStateException(what + " failed: " + ex, ex);
    }
  }

  private static ObjectMeta metadata(SpecificRecord o) {
    return (ObjectMeta) o.get(o.getSchema().getField("metadata").pos());
  }

  /**
   * A stored default role or binding with what this version's {@code expected} adds, as kube's
   * RBAC reconciliation at start: a ClusterRole gains the rules it lacks, a ClusterRoleBinding the
   * subjects it lacks; labels and annotations it lacks are added. Nothing is taken away (an
   * administrator's additions stay), nothing changes when the stored object's
   * {@code rbac.authorization.kubernetes.io/autoupdate} is {@code "false"}, and aggregated roles
   * are left to the aggregation controller. Empty when nothing is to change.
   */
  static Optional<SpecificRecord> reconciled(SpecificRecord stored, SpecificRecord expected) {
    ObjectMeta meta = metadata(stored);
    if (meta.getAnnotations() != null && "false".equals(meta.getAnnotations().get(AUTOUPDATE_KEY))) {
      return Optional.empty();
    }
    if (stored instanceof ClusterRole have && expected instanceof ClusterRole want) {
      if (want.getAggregationRule() != null) {
        return Optional.empty();
      }
      List<PolicyRule> rules = have.getRules() == null ? new ArrayList<>() : new ArrayList<>(have.getRules());
      java.util.Set<List<List<String>>> present = new java.util.HashSet<>();
      rules.forEach(r -> present.add(ruleKey(r)));
      boolean changed = false;
      for (PolicyRule r : want.getRules()) {
        if (present.add(ruleKey(r))) {
          rules.add(r);
          changed = true;
        }
      }
      ObjectMeta merged = mergedMeta(meta, want.getMetadata());
      if (!changed && merged == null) {
        return Optional.empty();
      }
      ClusterRole out = ClusterRole.newBuilder(have).setRules(rules).build();
      if (merged != null) {
        out.setMetadata(merged);
      }
      return Optional.of(out);
    }
    if (stored instanceof ClusterRoleBinding have && expected instanceof ClusterRoleBinding want) {
      if (!want.getRoleRef().equals(have.getRoleRef())) {
        log.warn("the default ClusterRoleBinding {} refers to {} where this version's refers to {}: left as it is"
            + " (a roleRef cannot change)", meta.getName(), have.getRoleRef().getName(), want.getRoleRef().getName());
        return Optional.empty();
      }
      List<Subject> subjects = have.getSubjects() == null ? new ArrayList<>() : new ArrayList<>(have.getSubjects());
      boolean changed = false;
      for (Subject s : want.getSubjects()) {
        if (subjects.stream().noneMatch(h -> h.getKind().equals(s.getKind()) && h.getName().equals(s.getName())
            && java.util.Objects.equals(blankToNull(h.getNamespace()), blankToNull(s.getNamespace())))) {
          subjects.add(s);
          changed = true;
        }
      }
      ObjectMeta merged = mergedMeta(meta, want.getMetadata());
      if (!changed && merged == null) {
        return Optional.empty();
      }
      ClusterRoleBinding out = ClusterRoleBinding.newBuilder(have).setSubjects(subjects).build();
      if (merged != null) {
        out.setMetadata(merged);
      }
      return Optional.of(out);
    }
    return Optional.empty();
  }

  /** A rule as sets of its fields, so a stored copy (with defaults filled in) matches the rule it came from. */
  private static List<List<String>> ruleKey(PolicyRule r) {
    return List.of(sorted(r.getVerbs()), sorted(r.getApiGroups()), sorted(r.getResources()),
        sorted(r.getResourceNames()), sorted(r.getNonResourceURLs()));
  }

  private static List<String> sorted(List<String> values) {
    return values == null ? List.of() : values.stream().sorted().distinct().toList();
  }

  private static String blankToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  /** The stored metadata with the labels and annotations it lacks added; null when it lacks none. */
  private static ObjectMeta mergedMeta(ObjectMeta have, ObjectMeta want) {
    Map<String, String> labels = new LinkedHashMap<>(have.getLabels() == null ? Map.of() : have.getLabels());
    Map<String, String> annotations = new LinkedHashMap<>(have.getAnnotations() == null ? Map.of()
        : have.getAnnotations());
    boolean changed = false;
    for (Map.Entry<String, String> e : want.getLabels().entrySet()) {
      changed |= labels.putIfAbsent(e.getKey(), e.getValue()) == null;
    }
    for (Map.Entry<String, String> e : want.getAnnotations().entrySet()) {
      changed |= annotations.putIfAbsent(e.getKey(), e.getValue()) == null;
    }
    return changed ? ObjectMeta.newBuilder(have).setLabels(labels).setAnnotations(annotations).build() : null;
  }

  private static ClusterRole clusterRole(String name, Map<String, String> labels, List<PolicyRule> rules,
      String aggregateFrom) {
    Map<String, String> all = new LinkedHashMap<>(BOOTSTRAP_LABELS);
    all.putAll(labels);
    ClusterRole.Builder b = ClusterRole.newBuilder().setMetadata(ObjectMeta.newBuilder().setName(name)
        .setLabels(all).setAnnotations(AUTOUPDATE).build()).setRules(rules);
    if (aggregateFrom != null) {
      b.setAggregationRule(AggregationRule.newBuilder().setClusterRoleSelectors(List.of(LabelSelector.newBuilder()
          .setMatchLabels(Map.of(AGGREGATE_TO + aggregateFrom, "true")).build())).build());
    }
    return b.build();
  }

  private static ClusterRoleBinding binding(String name, String role, String... groups) {
    List<Subject> subjects = new ArrayList<>();
    for (String g : groups) {
      subjects.add(Subject.newBuilder().setKind("Group").setApiGroup(GROUP).setName(g).build());
    }
    return ClusterRoleBinding.newBuilder().setMetadata(ObjectMeta.newBuilder().setName(name).setLabels(BOOTSTRAP_LABELS)
        .setAnnotations(AUTOUPDATE).build()).setSubjects(subjects)
        .setRoleRef(RoleRef.newBuilder().setApiGroup(GROUP).setKind("ClusterRole").setName(role).build()).build();
  }

  private static ClusterRoleBinding userBinding(String name, String role, String user) {
    ClusterRoleBinding b = binding(name, role);
    b.setSubjects(List.of(Subject.newBuilder().setKind("User").setApiGroup(GROUP).setName(user).build()));
    return b;
  }

  private static PolicyRule rule(List<String> verbs, String group, String... resources) {
    return PolicyRule.newBuilder().setVerbs(verbs).setApiGroups(List.of(group)).setResources(List.of(resources)).build();
  }

  private static List<PolicyRule> concat(List<PolicyRule> a, List<PolicyRule> b) {
    List<PolicyRule> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }
}
