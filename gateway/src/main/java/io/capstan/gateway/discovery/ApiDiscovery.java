package io.capstan.gateway.discovery;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The plain (non-aggregated) discovery documents kube-apiserver serves, for the kinds Capstan
 * stores: {@code /api} (APIVersions), {@code /apis} (APIGroupList), {@code /apis/{group}}
 * (APIGroup) and {@code /api/v1}, {@code /apis/{group}/{version}} (APIResourceList with verbs,
 * short names, categories and the subresources status, scale, binding, log, ephemeralcontainers, eviction and token; and the
 * resources answered without being stored, TokenReview and SelfSubjectReview, and metrics.k8s.io's
 * NodeMetrics and PodMetrics; and Capstan's own read endpoints, get-only). Clients asking
 * for the aggregated form get this one with Content-Type application/json, which client-go
 * recognises as the legacy form and falls back to.
 */
public final class ApiDiscovery {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  static final List<String> VERBS =
      List.of("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch");
  private static final List<String> SUBRESOURCE_VERBS = List.of("get", "patch", "update");

  /** A resource served without storage, create-only (the reviews): not a kind of the registry. */
  public record CreateOnly(String group, String version, String plural, String kind, boolean namespaced) {}

  /**
   * authentication.k8s.io/v1: TokenReview and SelfSubjectReview (kubectl auth whoami);
   * authorization.k8s.io/v1: the access reviews kubectl auth can-i posts.
   */
  public static final List<CreateOnly> CREATE_ONLY = List.of(
      new CreateOnly("authentication.k8s.io", "v1", "selfsubjectreviews", "SelfSubjectReview", false),
      new CreateOnly("authentication.k8s.io", "v1", "tokenreviews", "TokenReview", false),
      new CreateOnly("authorization.k8s.io", "v1", "localsubjectaccessreviews", "LocalSubjectAccessReview", true),
      new CreateOnly("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", false),
      new CreateOnly("authorization.k8s.io", "v1", "selfsubjectrulesreviews", "SelfSubjectRulesReview", false),
      new CreateOnly("authorization.k8s.io", "v1", "subjectaccessreviews", "SubjectAccessReview", false));

  /** A resource served without storage, read-only (get and list): metrics-server's, answered by the gateway itself. */
  public record ReadOnly(String group, String version, String plural, String kind, boolean namespaced) {}

  /** metrics.k8s.io/v1beta1: NodeMetrics and PodMetrics, what {@code kubectl top} reads. */
  public static final List<ReadOnly> READ_ONLY = List.of(
      new ReadOnly("metrics.k8s.io", "v1beta1", "nodes", "NodeMetrics", false),
      new ReadOnly("metrics.k8s.io", "v1beta1", "pods", "PodMetrics", true));

  /**
   * One of Capstan's own read endpoints under {@code /apis}, which answers one document rather than
   * objects. Discovery lists it as a resource with the one verb {@code get}, as the custom metrics
   * API lists its metrics: {@code kubectl api-versions} shows its group-version, and nothing that
   * reads every resource takes it (they ask for {@code list}: {@code kubectl get all}, namespace
   * deletion, the garbage collector). A group-version with no resources at all would not do:
   * client-go's discovery takes an empty resource list for a failure ("received empty response"),
   * and {@code kubectl api-resources} exits 1. Its operation is described in the group-version's
   * OpenAPI v3 document.
   */
  public record Endpoint(String group, String version, String name, String kind) {}

  /** console.capstan.io/v1 {@code timeline}: the console's timeline of the event log. */
  public static final List<Endpoint> ENDPOINTS = List.of(
      new Endpoint("console.capstan.io", "v1", "timeline", "Timeline"));

  /** The kinds served now: custom kinds come and go with their definitions. */
  private final Supplier<List<Kind>> kinds;
  private final ServerVersion version;

  public ApiDiscovery(List<Kind> kinds, ServerVersion version) {
    this(() -> kinds, version);
  }

  public ApiDiscovery(Supplier<List<Kind>> kinds, ServerVersion version) {
    this.kinds = kinds;
    this.version = version;
  }

  /** Discovery of every kind in the registry at the time of each request. */
  public static ApiDiscovery forAllKinds() {
    return new ApiDiscovery(Kinds::all, ServerVersion.CURRENT);
  }

  /** {@code /version}. */
  public ObjectNode version() {
    return version.toJson();
  }

  /**
   * {@code /api}: the core group's versions, and where clients reach this server, as
   * kube-apiserver lists its advertised address for every client ({@code 0.0.0.0/0}).
   *
   * @param serverAddress {@code host:port} ({@code [v6]:port}) of this server
   */
  public ObjectNode coreVersions(String serverAddress) {
    ObjectNode out = NODES.objectNode();
    out.put("kind", "APIVersions");
    ArrayNode versions = out.putArray("versions");
    groupVersions().getOrDefault("", List.of()).forEach(versions::add);
    out.putArray("serverAddressByClientCIDRs").addObject().put("clientCIDR", "0.0.0.0/0")
        .put("serverAddress", serverAddress);
    return out;
  }

  /** {@code /apis}: every named group with its versions. */
  public ObjectNode groups() {
    ObjectNode out = NODES.objectNode();
    out.put("kind", "APIGroupList");
    out.put("apiVersion", "v1");
    ArrayNode groups = out.putArray("groups");
    groupVersions().forEach((group, versions) -> {
      if (!group.isEmpty()) {
        groups.add(group(group, versions));
      }
    });
    return out;
  }

  /** {@code /apis/{group}}. */
  public Optional<ObjectNode> group(String group) {
    List<String> versions = groupVersions().get(group);
    if (group.isEmpty() || versions == null) {
      return Optional.empty();
    }
    ObjectNode out = group(group, versions);
    out.put("kind", "APIGroup");
    out.put("apiVersion", "v1");
    return Optional.of(out);
  }

  /** {@code /api/v1} ({@code group} empty) or {@code /apis/{group}/{version}}. */
  public Optional<ObjectNode> resources(String group, String version) {
    List<Kind> served = kinds.get().stream().filter(k -> k.group().equals(group) && k.serves(version)).toList();
    List<CreateOnly> createOnly = CREATE_ONLY.stream().filter(c -> c.group().equals(group) && c.version().equals(version))
        .toList();
    List<ReadOnly> readOnly = READ_ONLY.stream().filter(c -> c.group().equals(group) && c.version().equals(version))
        .toList();
    List<Endpoint> endpoints = ENDPOINTS.stream().filter(e -> e.group().equals(group) && e.version().equals(version))
        .toList();
    if (served.isEmpty() && createOnly.isEmpty() && readOnly.isEmpty() && endpoints.isEmpty()) {
      return Optional.empty();
    }
    ObjectNode out = NODES.objectNode();
    out.put("kind", "APIResourceList");
    out.put("apiVersion", "v1");
    out.put("groupVersion", group.isEmpty() ? version : group + "/" + version);
    ArrayNode resources = out.putArray("resources");
    for (Kind k : served) {
      ObjectNode r = resources.addObject();
      r.put("name", k.plural());
      r.put("singularName", k.singular());
      r.put("namespaced", k.namespaced());
      r.put("kind", k.kind());
      strings(r.putArray("verbs"), VERBS);
      if (!k.shortNames().isEmpty()) {
        strings(r.putArray("shortNames"), k.shortNames());
      }
      if (!k.categories().isEmpty()) {
        strings(r.putArray("categories"), k.categories());
      }
      if (k.hasStatus()) {
        subresource(resources, k, "status", null, k.kind(), SUBRESOURCE_VERBS);
      }
      if (k == Kinds.DEPLOYMENT || k == Kinds.REPLICA_SET || k == Kinds.STATEFUL_SET
          || (k.custom() && k.subresources().scale() != null)) {
        subresource(resources, k, "scale", "autoscaling/v1", "Scale", SUBRESOURCE_VERBS);
      }
      if (k == Kinds.POD) {
        subresource(resources, k, "binding", null, "Binding", List.of("create"));
        subresource(resources, k, "log", null, "Pod", List.of("get"));
        subresource(resources, k, "ephemeralcontainers", null, "Pod", SUBRESOURCE_VERBS);
        // kubectl drain evicts only when discovery names the Eviction's group and version here.
        subresource(resources, k, "eviction", "policy/v1", "Eviction", List.of("create"));
      }
      if (k == Kinds.SERVICE_ACCOUNT) {
        subresource(resources, k, "token", "authentication.k8s.io/v1", "TokenRequest", List.of("create"));
      }
    }
    for (CreateOnly c : createOnly) {
      ObjectNode r = resources.addObject();
      r.put("name", c.plural());
      r.put("singularName", c.kind().toLowerCase(java.util.Locale.ROOT));
      r.put("namespaced", c.namespaced());
      r.put("kind", c.kind());
      strings(r.putArray("verbs"), List.of("create"));
    }
    for (ReadOnly c : readOnly) {
      ObjectNode r = resources.addObject();
      r.put("name", c.plural());
      r.put("singularName", "");
      r.put("namespaced", c.namespaced());
      r.put("kind", c.kind());
      strings(r.putArray("verbs"), List.of("get", "list"));
    }
    for (Endpoint e : endpoints) {
      ObjectNode r = resources.addObject();
      r.put("name", e.name());
      r.put("singularName", e.name());
      r.put("namespaced", false);
      r.put("kind", e.kind());
      strings(r.putArray("verbs"), List.of("get"));
    }
    return Optional.of(out);
  }

  private static void subresource(ArrayNode resources, Kind k, String sub, String groupVersion, String kind,
      List<String> verbs) {
    ObjectNode r = resources.addObject();
    r.put("name", k.plural() + "/" + sub);
    r.put("singularName", "");
    r.put("namespaced", k.namespaced());
    if (groupVersion != null) {
      String[] gv = groupVersion.split("/");
      r.put("group", gv[0]);
      r.put("version", gv[1]);
    }
    r.put("kind", kind);
    strings(r.putArray("verbs"), verbs);
  }

  private ObjectNode group(String group, List<String> versions) {
    ObjectNode g = NODES.objectNode();
    g.put("name", group);
    ArrayNode vs = g.putArray("versions");
    for (String v : versions) {
      vs.addObject().put("groupVersion", group + "/" + v).put("version", v);
    }
    g.putObject("preferredVersion").put("groupVersion", group + "/" + versions.get(0)).put("version", versions.get(0));
    return g;
  }

  private Map<String, List<String>> groupVersions() {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (Kind k : kinds.get()) {
      List<String> versions = out.computeIfAbsent(k.group(), g -> new ArrayList<>());
      // The storage version first: it is the group's preferred version.
      List<String> served = new ArrayList<>(k.servedVersions());
      served.remove(k.version());
      served.add(0, k.version());
      for (String v : served) {
        if (!versions.contains(v)) {
          versions.add(v);
        }
      }
    }
    CREATE_ONLY.forEach(c -> addVersion(out, c.group(), c.version()));
    READ_ONLY.forEach(c -> addVersion(out, c.group(), c.version()));
    ENDPOINTS.forEach(e -> addVersion(out, e.group(), e.version()));
    return out;
  }

  private static void addVersion(Map<String, List<String>> groupVersions, String group, String version) {
    List<String> versions = groupVersions.computeIfAbsent(group, g -> new ArrayList<>());
    if (!versions.contains(version)) {
      versions.add(version);
    }
  }

  private static void strings(ArrayNode array, List<String> values) {
    values.forEach(array::add);
  }
}
