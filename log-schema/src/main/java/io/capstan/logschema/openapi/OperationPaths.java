package io.capstan.logschema.openapi;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.logschema.kinds.Kind;
import java.util.List;
import java.util.Locale;

/**
 * The REST operations of a kind in an OpenAPI v3 document, as kube-apiserver lists them:
 * collection (list, create, deletecollection), item (read, replace, patch, delete), the status
 * subresource and the all-namespaces list. Every operation carries
 * {@code x-kubernetes-action} and {@code x-kubernetes-group-version-kind}; the PATCH operations
 * list the {@code fieldValidation} query parameter, which is how kubectl decides that the
 * server validates fields itself (kubectl's QueryParamVerifierV3). Gets and lists also list
 * Capstan's historical-read parameters ({@code asOf}, {@code asOfResourceVersion}, {@code history}).
 */
final class OperationPaths {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final String META = SchemaNames.META;

  private OperationPaths() {}

  static void add(ObjectNode paths, Kind kind) {
    String prefix = "/" + OpenApiDocuments.pathOf(kind.group(), kind.version());
    String collection = prefix + (kind.namespaced() ? "/namespaces/{namespace}/" : "/") + kind.plural();
    String item = collection + "/{name}";
    String objectRef = SchemaNames.packageOf(kind) + kind.kind();
    String listRef = objectRef + "List";
    String gv = groupVersionWord(kind);
    String scope = kind.namespaced() ? "Namespaced" : "";

    ObjectNode coll = paths.putObject(collection);
    coll.put("description", "list or create objects of kind " + kind.kind());
    coll.set("get", operation(kind, "list" + gv + scope + kind.kind(), "list", "list or watch objects of kind " + kind.kind(),
        concat(listParameters(), historicalParameters(false)), null, listRef));
    coll.set("post", operation(kind, "create" + gv + scope + kind.kind(), "post", "create a " + kind.kind(),
        writeParameters(false), body(objectRef), objectRef));
    coll.set("delete", operation(kind, "deletecollection" + gv + scope + kind.kind(), "deletecollection",
        "delete collection of " + kind.kind(), concat(listParameters(), deleteParameters()), body(META + "DeleteOptions"),
        META + "Status"));
    coll.set("parameters", pathParameters(kind.namespaced(), false));

    ObjectNode one = paths.putObject(item);
    one.put("description", "read, replace, patch or delete the specified " + kind.kind());
    one.set("get", operation(kind, "read" + gv + scope + kind.kind(), "get", "read the specified " + kind.kind(),
        historicalParameters(true), null, objectRef));
    one.set("put", operation(kind, "replace" + gv + scope + kind.kind(), "put", "replace the specified " + kind.kind(),
        writeParameters(false), body(objectRef), objectRef));
    one.set("patch", operation(kind, "patch" + gv + scope + kind.kind(), "patch", "partially update the specified "
        + kind.kind(), writeParameters(true), patchBody(), objectRef));
    one.set("delete", operation(kind, "delete" + gv + scope + kind.kind(), "delete", "delete a " + kind.kind(),
        deleteParameters(), body(META + "DeleteOptions"), META + "Status"));
    one.set("parameters", pathParameters(kind.namespaced(), true));

    if (kind.hasStatus()) {
      ObjectNode status = paths.putObject(item + "/status");
      status.put("description", "read, replace or patch the status of the specified " + kind.kind());
      status.set("get", operation(kind, "read" + gv + scope + kind.kind() + "Status", "get",
          "read status of the specified " + kind.kind(), historicalParameters(false), null, objectRef));
      status.set("put", operation(kind, "replace" + gv + scope + kind.kind() + "Status", "put",
          "replace status of the specified " + kind.kind(), writeParameters(false), body(objectRef), objectRef));
      status.set("patch", operation(kind, "patch" + gv + scope + kind.kind() + "Status", "patch",
          "partially update status of the specified " + kind.kind(), writeParameters(true), patchBody(), objectRef));
      status.set("parameters", pathParameters(kind.namespaced(), true));
    }

    if (kind.namespaced()) {
      ObjectNode all = paths.putObject(prefix + "/" + kind.plural());
      all.put("description", "list objects of kind " + kind.kind() + " in every namespace");
      all.set("get", operation(kind, "list" + gv + kind.kind() + "ForAllNamespaces", "list",
          "list or watch objects of kind " + kind.kind() + " in every namespace",
          concat(listParameters(), historicalParameters(false)), null, listRef));
    }
  }

  /** {@code CoreV1}, {@code AppsV1}, {@code CoordinationV1}: the operationId infix kube-openapi uses. */
  private static String groupVersionWord(Kind kind) {
    String group = kind.group().isEmpty() ? "core" : kind.group().split("\\.")[0];
    return capitalize(group) + capitalize(kind.version());
  }

  private static String capitalize(String s) {
    return s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1);
  }

  private static ObjectNode operation(Kind kind, String id, String action, String description,
      List<ObjectNode> parameters, ObjectNode requestBody, String responseRef) {
    ObjectNode op = NODES.objectNode();
    op.put("description", description);
    op.put("operationId", id);
    op.putArray("tags").add(groupVersionWord(kind).substring(0, 1).toLowerCase(Locale.ROOT)
        + groupVersionWord(kind).substring(1));
    if (!parameters.isEmpty()) {
      ArrayNode params = op.putArray("parameters");
      parameters.forEach(params::add);
    }
    if (requestBody != null) {
      op.set("requestBody", requestBody);
    }
    ObjectNode responses = op.putObject("responses");
    ObjectNode ok = responses.putObject("200");
    ok.put("description", "OK");
    ok.set("content", content(List.of("application/json", "application/yaml"), responseRef));
    if (action.equals("post") || action.equals("put")) {
      responses.putObject("201").put("description", "Created")
          .set("content", content(List.of("application/json", "application/yaml"), responseRef));
    }
    responses.putObject("401").put("description", "Unauthorized");
    op.put("x-kubernetes-action", action);
    op.putObject("x-kubernetes-group-version-kind")
        .put("group", kind.group()).put("kind", kind.kind()).put("version", kind.version());
    return op;
  }

  private static ObjectNode content(List<String> mediaTypes, String ref) {
    ObjectNode content = NODES.objectNode();
    for (String mt : mediaTypes) {
      content.putObject(mt).putObject("schema").put("$ref", ComponentSchemas.REF_PREFIX + ref);
    }
    return content;
  }

  private static ObjectNode body(String ref) {
    ObjectNode body = NODES.objectNode();
    body.set("content", content(List.of("*/*"), ref));
    body.put("required", true);
    return body;
  }

  private static ObjectNode patchBody() {
    ObjectNode body = NODES.objectNode();
    body.set("content", content(List.of("application/apply-patch+yaml", "application/json-patch+json",
        "application/merge-patch+json", "application/strategic-merge-patch+json"), META + "Patch"));
    body.put("required", true);
    return body;
  }

  private static ArrayNode pathParameters(boolean namespaced, boolean named) {
    ArrayNode out = NODES.arrayNode();
    if (named) {
      out.add(pathParameter("name", "name of the object"));
    }
    if (namespaced) {
      out.add(pathParameter("namespace", "object name and auth scope, such as for teams and projects"));
    }
    out.add(query("pretty", "If 'true', then the output is pretty printed.", "string"));
    return out;
  }

  private static ObjectNode pathParameter(String name, String description) {
    ObjectNode p = NODES.objectNode();
    p.put("name", name).put("in", "path").put("description", description).put("required", true);
    p.putObject("schema").put("type", "string").put("uniqueItems", true);
    return p;
  }

  private static ObjectNode query(String name, String description, String type) {
    ObjectNode p = NODES.objectNode();
    p.put("name", name).put("in", "query").put("description", description);
    p.putObject("schema").put("type", type).put("uniqueItems", true);
    return p;
  }

  private static List<ObjectNode> listParameters() {
    return List.of(
        query("allowWatchBookmarks", "requests watch events with type BOOKMARK.", "boolean"),
        query("continue", "the continue token of the previous chunk of a paginated list.", "string"),
        query("fieldSelector", "restrict the list of returned objects by their fields.", "string"),
        query("labelSelector", "restrict the list of returned objects by their labels.", "string"),
        query("limit", "the maximum number of objects to return in one chunk.", "integer"),
        query("resourceVersion", "the resource version the list or watch starts from.", "string"),
        query("resourceVersionMatch", "how resourceVersion applies to a list: Exact or NotOlderThan.", "string"),
        query("sendInitialEvents", "with watch=true, send the current objects as ADDED events first.", "boolean"),
        query("timeoutSeconds", "timeout for the list or watch call.", "integer"),
        query("watch", "watch for changes to the described objects.", "boolean"));
  }

  /**
   * Capstan's historical reads (Kubernetes keeps no history to read): {@code asOf} and
   * {@code asOfResourceVersion} on every get and list, and {@code history} on a get of one object.
   */
  private static List<ObjectNode> historicalParameters(boolean history) {
    List<ObjectNode> out = new java.util.ArrayList<>(List.of(
        query("asOf", "Capstan: read as the cluster was at this instant, an RFC 3339 time such as "
            + "2026-12-06T08:00:00Z (a fraction of a second and an offset are allowed), from the event log: the "
            + "same shapes as a live read, objects deleted since included. A time in the future is the live state; "
            + "a time before the event log's retained start is 410 Gone; an unparseable one is 400. Not with "
            + "asOfResourceVersion, nor with watch.", "string"),
        query("asOfResourceVersion", "Capstan: read as the cluster was at this resourceVersion (a write's), from "
            + "the event log; 410 Gone before the event log's retained start. Not with asOf, nor with watch.",
            "string")));
    if (history) {
      out.add(query("history", "Capstan: if 'true', answer the object's versions (an audit.capstan.io/v1 "
          + "ObjectHistory: who, when, which operation, and the field-level difference from the version "
          + "before), oldest first, instead of the object.", "boolean"));
    }
    return out;
  }

  private static List<ObjectNode> writeParameters(boolean patch) {
    List<ObjectNode> out = new java.util.ArrayList<>(List.of(
        query("dryRun", "When present (All), modifications are not persisted.", "string"),
        query("fieldManager", "a name for the actor making the change.", "string"),
        query("fieldValidation", "how the server treats unknown or duplicate fields: Ignore, Warn or Strict "
            + "(the default when the client sends nothing is Warn).", "string")));
    if (patch) {
      out.add(query("force", "Force is going to \"force\" Apply requests.", "boolean"));
    }
    return out;
  }

  private static List<ObjectNode> deleteParameters() {
    return List.of(
        query("dryRun", "When present (All), modifications are not persisted.", "string"),
        query("gracePeriodSeconds", "The duration in seconds before the object should be deleted.", "integer"),
        query("propagationPolicy", "Orphan, Background or Foreground garbage collection of dependents.", "string"));
  }

  private static List<ObjectNode> concat(List<ObjectNode> a, List<ObjectNode> b) {
    List<ObjectNode> out = new java.util.ArrayList<>(a);
    b.stream().filter(p -> out.stream().noneMatch(q -> q.get("name").equals(p.get("name")))).forEach(out::add);
    return out;
  }
}
