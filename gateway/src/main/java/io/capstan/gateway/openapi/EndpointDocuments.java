package io.capstan.gateway.openapi;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/**
 * The OpenAPI v3 documents of Capstan's own read endpoints under {@code /apis}, which serve no
 * kinds (discovery lists each as a get-only resource, {@code ApiDiscovery.ENDPOINTS}):
 * {@code apis/console.capstan.io/v1}, the console's timeline of the event log. Their operations
 * are plain GETs without {@code x-kubernetes-action} or group-version-kind, and their schemas
 * have no group-version-kind either: kubectl finds no kind in them to explain or validate.
 */
public final class EndpointDocuments {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final String REF = "#/components/schemas/";
  private static final String RFC_3339 = "an RFC 3339 time such as 2026-12-06T08:00:00Z";

  private EndpointDocuments() {}

  /** The documents by their path in the {@code /openapi/v3} index. */
  public static Map<String, ObjectNode> all() {
    return Map.of("apis/console.capstan.io/v1", console());
  }

  /** {@code GET /apis/console.capstan.io/v1/timeline}. */
  static ObjectNode console() {
    ObjectNode doc = document("console.capstan.io/v1");
    ObjectNode get = get(doc, "/apis/console.capstan.io/v1/timeline", "readConsoleCapstanIoV1Timeline",
        "consoleCapstanIo_v1", "the timeline of the event log: writes per bucket of equal length between from and "
            + "to, with Deployment changes and Warning events as markers (what the console's time travel shows)",
        "io.capstan.console.v1.Timeline");
    get.withArrayProperty("parameters")
        .add(query("from", "the timeline's start, " + RFC_3339 + "; the event log's oldest write if not given",
            string()))
        .add(query("to", "the timeline's end, " + RFC_3339 + ", after from; now if not given", string()))
        .add(query("buckets", "how many buckets of equal length the span is cut into, 1 to 2000; 120 if not given",
            integer()));
    ObjectNode schemas = doc.withObjectProperty("components").withObjectProperty("schemas");
    ObjectNode timeline = object(schemas, "io.capstan.console.v1.Timeline",
        "writes to the cluster over a span of time, counted from the event log");
    kindFields(timeline, "console.capstan.io/v1", "Timeline");
    ObjectNode t = timeline.withObjectProperty("properties");
    t.set("from", time("the span's start"));
    t.set("to", time("the span's end"));
    t.set("logStart", time("the event log's oldest retained write, if any"));
    t.set("bucketSeconds", described(number(), "the length of each bucket, in seconds"));
    t.set("writes", described(arrayOf(integer()), "the writes in each bucket, oldest first"));
    t.set("markers", described(arrayOf(ref("io.capstan.console.v1.TimelineMarker")),
        "Deployment changes and Warning events in the span, oldest first"));
    timeline.withArrayProperty("required").add("from").add("to").add("bucketSeconds").add("writes").add("markers");
    ObjectNode marker = object(schemas, "io.capstan.console.v1.TimelineMarker", "a write worth marking on the timeline");
    ObjectNode m = marker.withObjectProperty("properties");
    m.set("time", time("when it was written"));
    m.set("resourceVersion", described(string(), "the write's resourceVersion"));
    m.set("type", described(string(), "Deployment (a Deployment changed) or Warning (a Warning event)"));
    m.set("kind", described(string(), "the kind of the object written"));
    m.set("namespace", described(string(), "the object's namespace, empty for a cluster-scoped one"));
    m.set("name", described(string(), "the object's name"));
    m.set("operation", described(string(), "the write: CREATE, UPDATE, DELETE and so on"));
    m.set("actor", described(string(), "who wrote it"));
    m.set("reason", described(string(), "a Warning event's reason"));
    m.set("message", described(string(), "a Warning event's message"));
    marker.withArrayProperty("required").add("time").add("resourceVersion").add("type").add("kind").add("name");
    return doc;
  }

  private static ObjectNode document(String groupVersion) {
    ObjectNode doc = NODES.objectNode();
    doc.put("openapi", "3.0.0");
    doc.putObject("info").put("title", "Capstan").put("version", groupVersion);
    doc.putObject("paths");
    doc.putObject("components").putObject("schemas");
    return doc;
  }

  /** A GET operation at {@code path} answering JSON of schema {@code response}; its parameters are added after. */
  private static ObjectNode get(ObjectNode doc, String path, String operationId, String tag, String description,
      String response) {
    ObjectNode item = doc.withObjectProperty("paths").putObject(path);
    item.putArray("parameters").add(query("pretty", "If 'true', then the output is pretty printed.", string()));
    ObjectNode get = item.putObject("get");
    get.put("description", description).put("operationId", operationId);
    get.putArray("tags").add(tag);
    get.putArray("parameters");
    ObjectNode responses = get.putObject("responses");
    responses.putObject("200").put("description", "OK").putObject("content").putObject("application/json")
        .set("schema", ref(response));
    responses.putObject("400").put("description", "a parameter is not valid: the Status names it");
    responses.putObject("401").put("description", "Unauthorized");
    responses.putObject("403").put("description", "Forbidden");
    return get;
  }

  private static ObjectNode query(String name, String description, ObjectNode schema) {
    ObjectNode p = NODES.objectNode();
    p.put("name", name).put("in", "query").put("description", description);
    p.set("schema", schema.put("uniqueItems", true));
    return p;
  }

  private static ObjectNode object(ObjectNode schemas, String name, String description) {
    ObjectNode s = schemas.putObject(name);
    s.put("description", description).put("type", "object");
    s.putObject("properties");
    return s;
  }

  private static void kindFields(ObjectNode schema, String apiVersion, String kind) {
    schema.withObjectProperty("properties").set("apiVersion", described(string(), "always " + apiVersion));
    schema.withObjectProperty("properties").set("kind", described(string(), "always " + kind));
  }

  private static ObjectNode described(ObjectNode schema, String description) {
    return schema.put("description", description);
  }

  private static ObjectNode time(String description) {
    return described(string().put("format", "date-time"), description);
  }

  private static ObjectNode ref(String name) {
    return NODES.objectNode().put("$ref", REF + name);
  }

  private static ObjectNode arrayOf(ObjectNode items) {
    ObjectNode a = NODES.objectNode().put("type", "array");
    a.set("items", items);
    return a;
  }

  private static ObjectNode string() {
    return NODES.objectNode().put("type", "string");
  }

  private static ObjectNode integer() {
    return NODES.objectNode().put("type", "integer");
  }

  private static ObjectNode number() {
    return NODES.objectNode().put("type", "number");
  }
}
