package io.capstan.gateway.server;

import static io.capstan.gateway.protobuf.ProtoWriter.envelope;
import static io.capstan.gateway.protobuf.ProtoWriter.message;
import static io.capstan.gateway.protobuf.ProtoWriter.newObjectMeta;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.logschema.kinds.Kind;
import java.io.ByteArrayOutputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;

/**
 * A seeded generator of malformed requests against the objects a test created (one per
 * {@link Target}): bodies mutated from valid manifests, bad content types and encodings, mutated
 * protobuf, invalid paths, selectors and query parameters, malformed patches of every type and
 * malformed HTTP. The same seed gives the same requests.
 *
 * <p>A mutation does not always make a document invalid (a garbled byte inside a string is
 * still JSON), so every write is aimed so that even a body that survived would change nothing:
 * creates carry the name of an object that exists (409 AlreadyExists), updates a stale
 * resourceVersion (409 Conflict), merge patches pin a stale resourceVersion and JSON patches end
 * with a failing {@code test} (422). What must never come back is a 2xx or a 5xx.
 */
final class MalformedRequests {
  /**
   * A request to send; {@code expect} is its exact status when the category fixes one, 0 for any
   * 4xx, -1 for a connection closed without an answer.
   */
  record Request(String category, String method, String target, String contentType, byte[] body,
      List<String> headers, int expect, byte[] raw) {
    static Request raw(String category, byte[] bytes, int expect) {
      return new Request(category, null, null, null, null, List.of(), expect, bytes);
    }
  }

  /**
   * An object the test created, to aim writes at.
   *
   * @param manifest the object as created (valid, with its name)
   * @param scale    whether the kind has a scale subresource
   */
  record Target(Kind kind, String collection, String name, ObjectNode manifest, boolean scale) {
    String object() {
      return collection + "/" + name;
    }
  }

  static final String JSON = "application/json";
  static final String YAML = "application/yaml";
  static final String PROTOBUF = "application/vnd.kubernetes.protobuf";
  static final String STALE_RV = "1";
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final com.fasterxml.jackson.dataformat.yaml.YAMLMapper YAML_OUT =
      com.fasterxml.jackson.dataformat.yaml.YAMLMapper.builder()
          .disable(com.fasterxml.jackson.dataformat.yaml.YAMLGenerator.Feature.WRITE_DOC_START_MARKER).build();
  private static final String SELECTOR_POISON = "@#$^*;{}[]\\\"'`|<>?~";

  private final Random random;
  private final List<Target> targets;
  private final long maxBody;
  private final Map<String, Supplier<Request>> categories = new LinkedHashMap<>();
  private final List<String> weighted = new ArrayList<>();

  MalformedRequests(long seed, List<Target> targets, long maxBody) {
    this.random = new Random(seed);
    this.targets = List.copyOf(targets);
    this.maxBody = maxBody;
    add("truncated-json", 10, this::truncatedJson);
    add("garbled-json", 10, this::garbledJson);
    add("trailing-garbage", 3, this::trailingGarbage);
    add("wrong-type", 12, this::wrongType);
    add("unknown-field-strict", 6, () -> unknownField(true));
    add("unknown-field-lax", 4, () -> unknownField(false));
    add("yaml-malformed", 6, this::malformedYaml);
    add("yaml-alias-bomb", 3, this::aliasBomb);
    add("deep-nesting", 4, this::deepNesting);
    add("content-type", 5, this::badContentType);
    add("invalid-utf8", 5, this::invalidUtf8);
    add("protobuf", 8, this::mutatedProtobuf);
    add("path", 8, this::badPath);
    add("selector", 6, this::badSelector);
    add("query-param", 8, this::badQueryParameter);
    add("patch-json", 4, this::badJsonPatch);
    add("patch-merge", 4, () -> badMergePatch(false));
    add("patch-strategic", 4, () -> badMergePatch(true));
    add("patch-other", 2, this::badPatchType);
    add("http-protocol", 2, this::badHttp);
    add("method", 1, this::badMethod);
  }

  private void add(String name, int weight, Supplier<Request> generator) {
    categories.put(name, generator);
    for (int i = 0; i < weight; i++) {
      weighted.add(name);
    }
  }

  /** {@code n} requests drawn by weight from every category, then the few huge bodies (413). */
  List<Request> generate(int n) {
    List<Request> all = new ArrayList<>(n + 16);
    for (int i = 0; i < n; i++) {
      all.add(categories.get(pick(weighted)).get());
    }
    all.addAll(hugeBodies());
    return all;
  }

  // ---- bodies mutated from valid manifests ----

  private Target target() {
    return pick(targets);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String json(JsonNode node) {
    return node.toString();
  }

  /** A write of {@code body} that changes nothing even if the body were valid: a create of an existing name, or an update at a stale version. */
  private Request write(String category, Target t, String contentType, byte[] body, String query) {
    if (random.nextBoolean()) {
      return new Request(category, "POST", t.collection() + query, contentType, body, List.of(), 0, null);
    }
    return new Request(category, "PUT", t.object() + query, contentType, body, List.of(), 0, null);
  }

  /** The target's manifest with the stale resourceVersion (which a create ignores and an update conflicts on). */
  private static ObjectNode stale(Target t) {
    ObjectNode m = t.manifest().deepCopy();
    m.withObjectProperty("metadata").put("resourceVersion", STALE_RV);
    return m;
  }

  private Request truncatedJson() {
    Target t = target();
    String full = json(stale(t));
    return write("truncated-json", t, JSON, utf8(full.substring(0, random.nextInt(full.length()))), "");
  }

  /** One structural character more, outside strings and inside the document: never valid JSON. */
  private Request garbledJson() {
    Target t = target();
    String full = json(stale(t));
    List<Integer> outside = outsideStrings(full);
    int at = outside.get(random.nextInt(outside.size()));
    char c = "{}[]:,\"".charAt(random.nextInt(7));
    String garbled = full.substring(0, at) + c + full.substring(at);
    return write("garbled-json", t, JSON, utf8(garbled), "");
  }

  /** Positions 1..length-1 of a compact JSON text that are not inside a string literal. */
  private static List<Integer> outsideStrings(String text) {
    List<Integer> at = new ArrayList<>();
    boolean inString = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (!inString && i > 0) {
        at.add(i);
      }
      if (inString && c == '\\') {
        i++;
      } else if (c == '"') {
        inString = !inString;
      }
    }
    return at;
  }

  private Request trailingGarbage() {
    Target t = target();
    String[] tails = {"}", "]", "{}", ",", "x", "{\"a\":1}", "null", "\u0000", "\"", ":"};
    return write("trailing-garbage", t, JSON, utf8(json(stale(t)) + pick(tails)), "");
  }

  /** Every value in the manifest, by JSON pointer (the root excluded). */
  private static List<String> pointers(JsonNode node, String at, List<String> out) {
    if (!at.isEmpty()) {
      out.add(at);
    }
    if (node.isObject()) {
      node.properties().forEach(e -> pointers(e.getValue(), at + "/" + e.getKey().replace("~", "~0").replace("/", "~1"),
          out));
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        pointers(node.get(i), at + "/" + i, out);
      }
    }
    return out;
  }

  /** A value of a JSON type no schema field of the original's type accepts: objects for scalars and lists, lists or scalars for objects. */
  private JsonNode incompatible(JsonNode original) {
    if (original.isObject()) {
      return random.nextBoolean() ? NODES.arrayNode().add(1) : NODES.numberNode(random.nextInt(100) - 50);
    }
    if (original.isArray()) {
      return NODES.objectNode().put("x", 1);
    }
    return random.nextBoolean() ? NODES.objectNode().put("x", "y") : NODES.arrayNode().add("x").add(2);
  }

  private Request wrongType() {
    Target t = target();
    ObjectNode m = stale(t);
    List<String> at = pointers(m, "", new ArrayList<>());
    at.remove("/metadata/resourceVersion");
    String pointer = pick(at);
    JsonNode original = m.at(pointer);
    replace(m, pointer, incompatible(original));
    boolean yaml = random.nextInt(4) == 0;
    return write("wrong-type", t, yaml ? YAML : JSON, utf8(yaml ? toYaml(m) : json(m)), "");
  }

  private static void replace(ObjectNode root, String pointer, JsonNode value) {
    int slash = pointer.lastIndexOf('/');
    JsonNode parent = root.at(pointer.substring(0, slash));
    String last = pointer.substring(slash + 1).replace("~1", "/").replace("~0", "~");
    if (parent.isObject()) {
      ((ObjectNode) parent).set(last, value);
    } else {
      ((ArrayNode) parent).set(Integer.parseInt(last), value);
    }
  }

  private Request unknownField(boolean strict) {
    Target t = target();
    ObjectNode m = stale(t);
    List<JsonNode> objects = new ArrayList<>();
    collectObjects(m, objects);
    ObjectNode into = (ObjectNode) pick(objects);
    into.put("unknownField" + random.nextInt(1000), random.nextBoolean() ? "x" : "1");
    String mode = strict ? "Strict" : pick(new String[] {"Warn", "Ignore", ""});
    String query = mode.isEmpty() ? "" : "?fieldValidation=" + mode;
    return write(strict ? "unknown-field-strict" : "unknown-field-lax", t, JSON, utf8(json(m)), query);
  }

  private static void collectObjects(JsonNode node, List<JsonNode> out) {
    if (node.isObject()) {
      out.add(node);
      node.forEach(v -> collectObjects(v, out));
    } else if (node.isArray()) {
      node.forEach(v -> collectObjects(v, out));
    }
  }

  private static String toYaml(JsonNode node) {
    try {
      return YAML_OUT.writeValueAsString(node);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private Request malformedYaml() {
    Target t = target();
    String yaml = toYaml(stale(t));
    String[] lines = yaml.split("\n");
    int i = 1 + random.nextInt(lines.length - 1);
    String body = switch (random.nextInt(10)) {
      case 0 -> yaml.replaceFirst("\n  ", "\n\t"); // a tab for indentation
      case 1 -> yaml + "extra: [unclosed, flow\n";
      case 2 -> yaml + "extra: 'unterminated\n";
      case 3 -> yaml + "metadata: {name: again}\n"; // a duplicate key
      case 4 -> yaml + "---\n" + yaml; // two documents
      case 5 -> yaml + "extra: !!python/object/apply:os.system [\"true\"]\n";
      case 6 -> "%YAML 9.9\n---\n" + yaml;
      case 7 -> yaml + "extra: *undefined\n";
      case 8 -> String.join("\n", Arrays.copyOf(lines, i)) + "\n   " + lines[i] + "\n   misplaced: :\n";
      default -> yaml + "extra: &self [*self]\n";
    };
    return write("yaml-malformed", t, YAML, utf8(body), "");
  }

  /** Billion laughs: nine levels of anchors, each aliasing the previous ten times. */
  private Request aliasBomb() {
    Target t = target();
    StringBuilder y = new StringBuilder(toYaml(stale(t)));
    y.append("lol0: &l0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    int levels = 4 + random.nextInt(6);
    for (int i = 1; i <= levels; i++) {
      y.append("lol").append(i).append(": &l").append(i).append(" [");
      for (int j = 0; j < 10; j++) {
        y.append(j == 0 ? "" : ",").append("*l").append(i - 1);
      }
      y.append("]\n");
    }
    String query = random.nextBoolean() ? "?fieldValidation=Strict" : "";
    return write("yaml-alias-bomb", t, YAML, utf8(y.toString()), query);
  }

  private Request deepNesting() {
    Target t = target();
    int depth = pick(new Integer[] {501, 1_001, 10_000, 100_000});
    String open;
    String close;
    switch (random.nextInt(3)) {
      case 0 -> {
        open = "[";
        close = "]";
      }
      case 1 -> {
        open = "{\"a\":";
        close = "}";
      }
      default -> {
        open = "{\"data\":[";
        close = "]}";
      }
    }
    String deep = open.repeat(depth) + "1" + close.repeat(depth);
    if (random.nextBoolean()) {
      // inside an otherwise valid object, as the value of a field
      ObjectNode m = stale(t);
      String at = random.nextBoolean() ? "\"spec\"" : "\"metadata\"";
      String text = json(m);
      int field = text.indexOf(at + ":");
      deep = field < 0 ? text.substring(0, text.length() - 1) + ",\"deep\":" + deep + "}"
          : text.substring(0, field) + "\"deep\":" + deep + "," + text.substring(field);
    }
    return switch (random.nextInt(4)) {
      case 0 -> new Request("deep-nesting", "PATCH", t.object(), "application/merge-patch+json",
          utf8("{\"metadata\":{\"resourceVersion\":\"1\"},\"deep\":" + deep + "}"), List.of(), 0, null);
      case 1 -> write("deep-nesting", t, YAML, utf8("deep: " + deep.replace("{\"a\":", "{a: ")), "");
      default -> write("deep-nesting", t, JSON, utf8(deep), "");
    };
  }

  private Request badContentType() {
    Target t = target();
    String[] types = {"text/plain", "application/xml", "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz", "multipart/form-data", "", null, "*/*", "application/jsonx",
        "application/json-patch+json", "application/merge-patch+json", "image/png", "application",
        "}{;;=", "application/vnd.kubernetes.protobuf;stream=watch", "text/html; charset=\"",
        "application/" + "x".repeat(2000)};
    String type = pick(types);
    byte[] body = utf8(json(stale(t)));
    if (type != null && type.startsWith("multipart")) {
      body = utf8("--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n" + json(stale(t)) + "\r\n--xy");
    } else if (type != null && type.startsWith("application/x-www")) {
      body = utf8("a=%zz&b=" + "c".repeat(random.nextInt(100)) + "&&=&%");
    }
    if (type != null && type.contains("protobuf;stream")) {
      return write("content-type", t, type, body, "");
    }
    boolean post = random.nextBoolean();
    return new Request("content-type", post ? "POST" : "PUT", post ? t.collection() : t.object(), type, body, List.of(),
        // no Content-Type is JSON, as kube-apiserver reads it: the stale object is refused as any other
        type == null || type.isEmpty() || type.equals("application/json-patch+json")
            || type.startsWith("application/merge") ? 0 : 415, null);
  }

  private Request invalidUtf8() {
    Target t = target();
    byte[][] bad = {{(byte) 0xC3, 0x28}, {(byte) 0xFF}, {(byte) 0xC0, (byte) 0xAF}, {(byte) 0xED, (byte) 0xA0,
        (byte) 0x80}, {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80}, {(byte) 0xE2, (byte) 0x82},
        {0x00}};
    byte[] seq = bad[random.nextInt(bad.length)];
    byte[] text = utf8(json(stale(t)));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    switch (random.nextInt(3)) {
      case 0 -> { // UTF-16 with a byte order mark
        out.writeBytes(new byte[] {(byte) 0xFE, (byte) 0xFF});
        out.writeBytes(json(stale(t)).getBytes(StandardCharsets.UTF_16BE));
      }
      default -> {
        // Outside strings the document no longer parses; inside the name, it is not a valid name
        // (or not the URL's). Elsewhere in a string, decoding replaces it with U+FFFD, as Go's
        // json does, and the document may be valid: that is not hostile, so not generated.
        String ascii = new String(text, StandardCharsets.US_ASCII);
        int name = ascii.indexOf("\"name\":\"" + t.name() + "\"") + 8;
        int at = random.nextBoolean() ? name + 1 + random.nextInt(t.name().length())
            : outsideStrings(ascii).get(random.nextInt(outsideStrings(ascii).size()));
        out.write(text, 0, at);
        out.writeBytes(seq);
        out.write(text, at, text.length - at);
      }
    }
    return write("invalid-utf8", t, random.nextInt(4) == 0 ? YAML : JSON, out.toByteArray(), "");
  }

  // ---- protobuf ----

  private Request mutatedProtobuf() {
    Target t = targets.stream().filter(x -> x.kind().kind().equals("ConfigMap")).findFirst().orElseThrow();
    byte[] good = envelope("v1", "ConfigMap", message()
        .message(1, newObjectMeta(t.name(), "app", "hostile").string(6, STALE_RV))
        .entry(2, "k", "v").entry(2, "k2", "v2"));
    byte[] body;
    switch (random.nextInt(8)) {
      case 0 -> { // flipped bytes after the magic
        body = good.clone();
        for (int i = 1 + random.nextInt(4); i > 0; i--) {
          body[4 + random.nextInt(body.length - 4)] ^= (byte) (1 << random.nextInt(8));
        }
      }
      case 1 -> body = Arrays.copyOf(good, 4 + random.nextInt(good.length - 4)); // truncated
      case 2 -> { // random bytes inserted
        int at = 4 + random.nextInt(good.length - 4);
        byte[] junk = new byte[1 + random.nextInt(8)];
        random.nextBytes(junk);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(good, 0, at);
        out.writeBytes(junk);
        out.write(good, at, good.length - at);
        body = out.toByteArray();
      }
      case 3 -> { // a varint that never ends, or is 11 bytes long
        body = message().raw((byte) 'k', (byte) '8', (byte) 's', (byte) 0, (byte) 0x08).raw(ff(1 + random.nextInt(12)))
            .toBytes();
      }
      case 4 -> { // a length far beyond the body, or negative as a varint
        body = message().raw((byte) 'k', (byte) '8', (byte) 's', (byte) 0, (byte) 0x12)
            .raw(random.nextBoolean() ? new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x07}
                : new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
                    (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x01}).raw((byte) 1, (byte) 2).toBytes();
      }
      case 5 -> { // wire types 3, 4 (groups), 6 and 7, and field number 0, inside the object
        byte key = (byte) (int) pick(new Integer[] {(1 << 3) | 3, (1 << 3) | 4, (1 << 3) | 6, (1 << 3) | 7, 0, 2});
        body = envelope("v1", "ConfigMap", message().raw(key, (byte) 1, (byte) 2, (byte) 3));
      }
      case 6 -> { // ObjectMeta fields nested in themselves, thousands deep
        int depth = pick(new Integer[] {100, 1_000, 10_000});
        byte[] inner = newObjectMeta(t.name()).toBytes();
        for (int i = 0; i < depth; i++) {
          inner = message().bytes(12, inner).toBytes(); // ownerReferences, each holding the previous
        }
        body = envelope("v1", "ConfigMap", message().bytes(1, inner));
      }
      default -> { // random bytes after the magic
        byte[] junk = new byte[random.nextInt(200)];
        random.nextBytes(junk);
        body = message().raw((byte) 'k', (byte) '8', (byte) 's', (byte) 0).raw(junk).toBytes();
      }
    }
    return write("protobuf", t, PROTOBUF, body, "");
  }

  private static byte[] ff(int n) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) 0xFF);
    return b;
  }

  // ---- paths, selectors and parameters ----

  private Request badPath() {
    Target t = target();
    String[] names = {"Bad_Name", "a..b", "..", ".", "%00", "%2F..%2F", "a".repeat(300), "%F0%9F%92%A5",
        "a%20b", "%C3%28", "%zz", "%", "-lead", "trail-", "UPPER", "a%0Ab", "*", "%2e%2e"};
    String name = pick(names);
    String[] shapes = {
        t.collection() + "/" + name,
        t.collection() + "/" + name + "/status",
        t.collection() + "/" + t.name() + "/" + name,
        t.collection() + "/" + t.name() + "/status/extra/segments",
        "/api/v1/namespaces/" + name + "/configmaps",
        "/api/v1/namespaces/" + name + "/configmaps/x",
        "/api/v1/namespaces//configmaps",
        "/apis/" + name + "/v1/things",
        "/api/v99/pods",
        "/apis/apps/v1beta1/deployments",
        "/apis/apps/v1/namespaces/default/" + name,
        "/api/v1/namespaces/default/configmaps/x/y/z/w",
        "/api/v1/nodes/" + name + "/proxy",
        "/apis/" + t.kind().group() + "/%zz/" + t.kind().plural(),
        "/api/" + randomSegment(),
        "/apis/" + randomSegment() + "/" + randomSegment(),
        "/api/v1/" + "x/".repeat(1 + random.nextInt(50)),
    };
    int shape = random.nextInt(shapes.length);
    String path = shapes[shape];
    int verb = random.nextInt(5);
    if ((shape == 4 || shape == 6) && (verb == 2 || verb == 4)) {
      // A list or deletecollection in a namespace that does not exist is an empty list, as in
      // Kubernetes, not an error: create in it instead (404, or 400 for a name that cannot be one).
      verb = 3;
    }
    return switch (verb) {
      case 0 -> new Request("path", "PUT", path, JSON, utf8(json(stale(t))), List.of(), 0, null);
      case 1 -> new Request("path", "PATCH", path, "application/merge-patch+json",
          utf8("{\"metadata\":{\"resourceVersion\":\"1\"}}"), List.of(), 0, null);
      case 2 -> new Request("path", "DELETE", path, JSON, utf8("{\"preconditions\":{\"resourceVersion\":\"1\"}}"),
          List.of(), 0, null);
      case 3 -> new Request("path", "POST", path, JSON, utf8(json(stale(t))), List.of(), 0, null);
      default -> new Request("path", "GET", path, null, null, List.of(), 0, null);
    };
  }

  private String randomSegment() {
    StringBuilder s = new StringBuilder();
    String alphabet = "abcXYZ019-_.~!$&'()*+,;=:@%";
    for (int i = 1 + random.nextInt(20); i > 0; i--) {
      s.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return s.toString();
  }

  private static String q(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  /** A label selector with a character no selector may hold, or one of the known malformed shapes. */
  private String badLabelSelector() {
    String[] known = {"app in web", "=web", "a b", "app notin", "a in (b", "a,,b", "!", "!=x",
        "app=" + "v".repeat(64), "k".repeat(64) + "=v", "a=b=c", "a in (b c)", "a)", "-a=b", "a=-b-"};
    if (random.nextInt(3) == 0) {
      return pick(known);
    }
    String[] valid = {"app=web", "app!=web", "app in (a,b)", "app notin (a)", "app", "!app", "tier=x,app=y",
        "app==web"};
    String s = pick(valid);
    int at = random.nextInt(s.length() + 1);
    return s.substring(0, at) + SELECTOR_POISON.charAt(random.nextInt(SELECTOR_POISON.length())) + s.substring(at);
  }

  private String badFieldSelector() {
    String[] known = {"foo.bar=1", "metadata.name~x", "metadata.name in (a)", "=x", "metadata.name", "status.phase",
        "metadata.namespace!", "metadata.labels=x", "spec.bogus=1", "metadata.name!=a,foo=b"};
    return pick(known);
  }

  private Request badSelector() {
    Target t = target();
    boolean label = random.nextBoolean();
    String query = label ? "labelSelector=" + q(badLabelSelector()) : "fieldSelector=" + q(badFieldSelector());
    if (random.nextInt(10) == 0) {
      query = (label ? "labelSelector=" : "fieldSelector=") + "%zz";
    }
    String watch = random.nextInt(3) == 0 ? "watch=1&" : "";
    String collection = random.nextBoolean() || !t.kind().namespaced() ? clusterWide(t) : t.collection();
    return new Request("selector", "GET", collection + "?" + watch + query, null, null, List.of(), 400, null);
  }

  /** The kind's collection across namespaces. */
  private static String clusterWide(Target t) {
    return t.kind().namespaced() ? t.collection().replace("/namespaces/default", "") : t.collection();
  }

  private Request badQueryParameter() {
    Target t = target();
    String list = random.nextBoolean() ? t.collection() : clusterWide(t);
    String[] bad = {"limit=-1", "limit=abc", "limit=1.5", "limit=99999999999999999999", "limit=",
        "timeoutSeconds=x", "timeoutSeconds=-5", "timeoutSeconds=1e3", "resourceVersion=abc", "resourceVersion=-5",
        "resourceVersion=1.0", "continue=garbage", "continue=" + q(java.util.Base64.getUrlEncoder().encodeToString(
        utf8("{\"rv\":\"x\",\"start\":5}"))), "continue=%zz", "continue=" + q(randomSegment()),
        "resourceVersionMatch=Newest", "resourceVersion=5&resourceVersionMatch=exact", "resourceVersionMatch=Exact",
        "limit=%zz", "limit=1&limit=-1"};
    String param = pick(bad);
    return switch (random.nextInt(7)) {
      case 0, 1 -> new Request("query-param", "GET", list + "?" + param, null, null, List.of(), 400, null);
      // (a watch takes no continue token, and kube-apiserver ignores one)
      case 2 -> new Request("query-param", "GET", list + "?watch=true&" + (param.startsWith("continue=")
          ? "timeoutSeconds=soon" : param), null, null, List.of(), 400, null);
      case 3 -> new Request("query-param", "POST", t.collection() + "?" + pick(new String[] {"dryRun=Some",
          "dryRun=all", "fieldValidation=Loose", "fieldValidation=strict", "fieldManager=" + "m".repeat(200),
          "dryRun=%zz"}), JSON, utf8(json(stale(t))), List.of(), 400, null);
      case 4 -> new Request("query-param", "DELETE", t.object() + "?" + pick(new String[] {
          "propagationPolicy=Sideways", "gracePeriodSeconds=soon", "gracePeriodSeconds=1.5", "dryRun=Some",
          "propagationPolicy=orphan"}), JSON, utf8("{\"preconditions\":{\"resourceVersion\":\"1\"}}"), List.of(), 400,
          null);
      case 5 -> new Request("query-param", "DELETE", t.object(), JSON, utf8(pick(new String[] {
          "{\"propagationPolicy\":\"Sideways\",\"preconditions\":{\"resourceVersion\":\"1\"}}",
          "{\"gracePeriodSeconds\":\"soon\",\"preconditions\":{\"resourceVersion\":\"1\"}}",
          "{\"preconditions\":5}", "{\"preconditions\":{\"uid\":{\"a\":1}}}", "[]", "\"x\"", "{bad",
          "{\"preconditions\":{\"resourceVersion\":\"1\"},\"orphanDependents\":\"maybe\"}"})), List.of(), 0, null);
      default -> new Request("query-param", "DELETE", list + "?" + pick(new String[] {"limit=-1",
          "labelSelector=" + q(badLabelSelector()), "fieldSelector=" + q(badFieldSelector()),
          "propagationPolicy=Sideways&labelSelector=none-has-this", "continue=garbage"}), null, null, List.of(), 400,
          null);
    };
  }

  // ---- patches ----

  private Target patchTarget() {
    return target();
  }

  /** A patch target: the object, or its status or scale subresource where the kind has one. */
  private String patchPath(Target t) {
    int r = random.nextInt(5);
    if (r == 0 && t.kind().hasStatus()) {
      return t.object() + "/status";
    }
    if (r == 1 && t.scale()) {
      return t.object() + "/scale";
    }
    return t.object();
  }

  private Request badJsonPatch() {
    Target t = patchTarget();
    String guard = "{\"op\":\"test\",\"path\":\"/metadata/name\",\"value\":\"not-" + t.name() + "\"}";
    String[] ops = {"{\"op\":\"bogus\",\"path\":\"/metadata/labels/x\",\"value\":\"1\"}",
        "{\"path\":\"/metadata/labels/x\"}", "{\"op\":\"add\",\"path\":\"metadata/labels/x\",\"value\":\"1\"}",
        "{\"op\":\"add\",\"path\":\"/metadata/labels/x\"}", "{\"op\":\"move\",\"path\":\"/metadata/labels/x\"}",
        "{\"op\":\"copy\",\"from\":\"/nope/nope\",\"path\":\"/metadata/labels/x\"}",
        "{\"op\":\"remove\",\"path\":\"/metadata/nonexistent/deeper\"}",
        "{\"op\":\"add\",\"path\":\"/metadata/finalizers/99\",\"value\":\"x\"}",
        "{\"op\":\"replace\",\"path\":\"/metadata/name\",\"value\":{\"a\":1}}",
        "{\"op\":\"add\",\"path\":\"/~2bad\",\"value\":1}", "{\"op\":5,\"path\":\"/a\"}",
        "{\"op\":\"add\",\"path\":5,\"value\":1}", "1", "null", "[]", "\"add\"",
        "{\"op\":\"add\",\"path\":\"/metadata/labels\",\"value\":[1,2]}",
        "{\"op\":\"add\",\"path\":\"/metadata/labels/-\",\"value\":\"x\"}",
        "{\"op\":\"replace\",\"path\":\"\",\"value\":5}"};
    String body = switch (random.nextInt(5)) {
      case 0 -> pick(new String[] {"{\"op\":\"add\"}", "{}", "\"x\"", "5", "[", "[{", "[{\"op\":\"add\",", "null"});
      default -> "[" + pick(ops) + "," + guard + "]";
    };
    return new Request("patch-json", "PATCH", patchPath(t), "application/json-patch+json", utf8(body), List.of(), 0,
        null);
  }

  private Request badMergePatch(boolean strategic) {
    Target t = patchTarget();
    String rv = "\"metadata\":{\"resourceVersion\":\"1\"}";
    String[] patches = {
        "{" + rv + ",\"spec\":5}", "{\"metadata\":{\"resourceVersion\":\"1\",\"labels\":5}}",
        "{\"metadata\":{\"resourceVersion\":\"1\",\"name\":{\"a\":1}}}", "[1]", "\"str\"", "5",
        "{\"metadata\":{\"resourceVersion\":\"1\",\"name\":\"renamed\"}}",
        "{\"metadata\":{\"resourceVersion\":\"1\",\"namespace\":\"elsewhere\"}}",
        "{" + rv + ",\"apiVersion\":\"v9\"}", "{" + rv + ",\"kind\":\"Other\"}",
        "{\"metadata\":{\"resourceVersion\":{\"a\":1}}}", "{\"metadata\":5}", "{" + rv + ",\"status\":[1]}",
        "{" + rv + ",\"$patch\":\"bogus\"}", "{" + rv + ",\"spec\":{\"$patch\":\"replace\",\"x\":{}}}",
        "{" + rv + ",\"spec\":{\"containers\":[{\"$patch\":\"delete\"}]}}",
        "{" + rv + ",\"$setElementOrder/spec\":5}", "{" + rv + ",\"spec\":{\"$setElementOrder/containers\":\"no\"}}",
        "{" + rv + ",\"spec\":{\"$retainKeys\":5}}", "{\"metadata\":{\"resourceVersion\":\"1\","
            + "\"$deleteFromPrimitiveList/finalizers\":\"x\"}}",
        "{" + rv + ",\"spec\":{\"containers\":[{\"name\":{\"x\":1}}]}}",
        "{" + rv + ",\"spec\":{\"replicas\":\"many\"}}", "{" + rv + ",\"spec\":{\"replicas\":-1}}",
        "{" + rv + ",\"data\":{\"k\":{\"nested\":1}}}"};
    String patch = pick(patches);
    switch (random.nextInt(4)) {
      case 0 -> patch = patch.substring(0, random.nextInt(patch.length())); // truncated
      case 1 -> {
        List<Integer> outside = outsideStrings(patch);
        if (!outside.isEmpty()) {
          int at = outside.get(random.nextInt(outside.size()));
          patch = patch.substring(0, at) + "{}[]:,\"".charAt(random.nextInt(7)) + patch.substring(at);
        }
      }
      default -> { }
    }
    String type = strategic ? "application/strategic-merge-patch+json" : "application/merge-patch+json";
    return new Request(strategic ? "patch-strategic" : "patch-merge", "PATCH", patchPath(t), type, utf8(patch),
        List.of(), 0, null);
  }

  private Request badPatchType() {
    Target t = patchTarget();
    String type = pick(new String[] {"application/apply-patch+yaml", "application/json", "text/plain", null,
        "application/json-patch+json+extra", "application/strategic-merge-patch+yaml", "application/merge-patch"});
    // An apply patch is a patch type the server takes for every kind, but not without a fieldManager: 400.
    boolean applies = "application/apply-patch+yaml".equals(type);
    return new Request("patch-other", "PATCH", patchPath(t), type,
        utf8("{\"metadata\":{\"resourceVersion\":\"1\",\"labels\":{\"x\":\"y\"}}}"), List.of(),
        applies ? 400 : 415, null);
  }

  // ---- HTTP itself ----

  private Request badHttp() {
    String ns = "/api/v1/namespaces";
    String host = "Host: gateway\r\n";
    String[] raw = {
        "GARBAGE\r\n\r\n",
        "GET " + ns + " HTTP/1.1\r\n" + host + "Bad Header: y\r\nConnection: close\r\n\r\n",
        "GET " + ns + " HTTP/1.1\r\n" + host + "NoColonHere\r\nConnection: close\r\n\r\n",
        "POST " + ns + " HTTP/1.1\r\n" + host + "Content-Type: application/json\r\nContent-Length: 2\r\n"
            + "Content-Length: 7\r\nConnection: close\r\n\r\n{}",
        "POST " + ns + " HTTP/1.1\r\n" + host + "Content-Type: application/json\r\nContent-Length: abc\r\n"
            + "Connection: close\r\n\r\n{}",
        "POST " + ns + " HTTP/1.1\r\n" + host + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
            + "Content-Length: 4\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
        "GET " + ns + " HTTP/1.1\r\n" + host + "X-Big: " + "b".repeat(16 * 1024) + "\r\nConnection: close\r\n\r\n",
        "GET " + ns + "/" + "u".repeat(8 * 1024) + " HTTP/1.1\r\n" + host + "Connection: close\r\n\r\n",
        "GET " + ns + "\u0000/x HTTP/1.1\r\n" + host + "Connection: close\r\n\r\n",
        "GET " + ns + " HTTP/1.1\r\n" + host + "Accept: application/json;as=Table;g=meta.k8s.io;v=v9\r\n"
            + "Content-Length: -1\r\nConnection: close\r\n\r\n",
        "POST " + ns + " HTTP/1.1\r\n" + host + "Content-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\n"
            + "Connection: close\r\n\r\n5\r\n\u001f\u008b\b\u0000\u0000\r\n0\r\n\r\n",
        "POST " + ns + " HTTP/1.1\r\n" + host + "Content-Type: application/json\r\nContent-Encoding: gzip\r\n"
            + "Content-Length: 6\r\nConnection: close\r\n\r\n\u001f\u008bjunk",
    };
    if (random.nextInt(raw.length + 1) == 0) {
      // Vert.x answers a version it does not speak with 501 before any handler sees it; RFC 9110
      // gives a 5xx (505) for an unsupported major version too, so this one 5xx is the expected answer.
      return Request.raw("http-protocol", ("GET " + ns + " HTTP/9.9\r\n" + host + "\r\n")
          .getBytes(StandardCharsets.ISO_8859_1), 501);
    }
    if (random.nextInt(raw.length + 1) == 0) {
      // A chunk size that is not hex: Netty fails the connection and Vert.x closes it at once, so
      // the gateway's 400 is never flushed. The one case answered by a close alone (expect -1).
      return Request.raw("http-protocol", ("POST " + ns + " HTTP/1.1\r\n" + host + "Content-Type: application/json\r\n"
          + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1), -1);
    }
    return Request.raw("http-protocol", pick(raw).getBytes(StandardCharsets.ISO_8859_1), 0);
  }

  private Request badMethod() {
    Target t = target();
    StringBuilder m = new StringBuilder();
    for (int i = 3 + random.nextInt(8); i > 0; i--) {
      m.append((char) ('A' + random.nextInt(26)));
    }
    String method = pick(new String[] {m.toString(), "PROPFIND", "TRACE", "OPTIONS", m.toString()});
    return new Request("method", method, random.nextBoolean() ? t.collection() : t.object(), null, null, List.of(), 0,
        null);
  }

  /** Bodies over the limit: with a Content-Length, and chunked without one. */
  private List<Request> hugeBodies() {
    List<Request> out = new ArrayList<>();
    Target t = targets.get(0);
    for (int i = 0; i < 6; i++) {
      long size = maxBody + 1 + (long) i * maxBody / 2;
      byte[] body = new byte[(int) size];
      Arrays.fill(body, (byte) ' ');
      body[0] = '{';
      body[body.length - 1] = '}';
      out.add(new Request("huge-body", i % 2 == 0 ? "POST" : "PUT", i % 2 == 0 ? t.collection() : t.object(),
          i % 3 == 2 ? YAML : JSON, body, List.of(), 413, null));
    }
    for (int i = 0; i < 4; i++) {
      ByteArrayOutputStream chunked = new ByteArrayOutputStream();
      String head = "POST " + t.collection() + " HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
          + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
      chunked.writeBytes(head.getBytes(StandardCharsets.ISO_8859_1));
      byte[] chunk = new byte[64 * 1024];
      Arrays.fill(chunk, (byte) ' ');
      for (long sent = 0; sent <= maxBody; sent += chunk.length) {
        chunked.writeBytes((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        chunked.writeBytes(chunk);
        chunked.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
      }
      chunked.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      out.add(Request.raw("huge-body", chunked.toByteArray(), 413));
    }
    return out;
  }

  private <T> T pick(T[] from) {
    return from[random.nextInt(from.length)];
  }

  private <T> T pick(List<T> from) {
    return from.get(random.nextInt(from.size()));
  }
}
