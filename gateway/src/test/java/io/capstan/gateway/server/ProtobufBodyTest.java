package io.capstan.gateway.server;

import static io.capstan.gateway.protobuf.ProtoWriter.envelope;
import static io.capstan.gateway.protobuf.ProtoWriter.message;
import static io.capstan.gateway.protobuf.ProtoWriter.newObjectMeta;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.logschema.json.KubeJson;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Protobuf bodies over HTTP on the real backbone: create and update (PUT) through the shared
 * write path, fieldValidation for unknown protobuf fields, and bad bodies, each with its Status
 * code and reason and nothing stored.
 */
class ProtobufBodyTest {
  private static final String PROTOBUF = "application/vnd.kubernetes.protobuf";
  private static final String CM = "/api/v1/namespaces/default/configmaps";
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir
  static Path dataDir;
  static GatewayTestServer server;

  @BeforeAll
  static void start() throws Exception {
    server = GatewayTestServer.start(new GatewayConfig("127.0.0.1", 0, dataDir, true, 4096, null, List.of()));
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static HttpResponse<String> send(String method, String path, String contentType, byte[] body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + path))
        .header("Accept", "application/vnd.kubernetes.protobuf,application/json");
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode expect(int code, String reason, HttpResponse<String> r) {
    assertEquals(code, r.statusCode(), r.body());
    JsonNode status = KubeJson.parse(r.body());
    assertEquals("Status", status.path("kind").asText(), r.body());
    assertEquals(reason, status.path("reason").asText(), r.body());
    return status;
  }

  static int status(String path) throws Exception {
    return send("GET", path, null, null).statusCode();
  }

  static byte[] configMap(String name, String key, String value, int extraField) {
    var meta = newObjectMeta(name);
    if (extraField > 0) {
      meta.string(extraField, "from the future");
    }
    return envelope("v1", "ConfigMap", message().message(1, meta).entry(2, key, value));
  }

  @Test
  void createThenUpdateWithResourceVersion() throws Exception {
    HttpResponse<String> created = send("POST", CM, PROTOBUF, configMap("pb", "a", "1", 0));
    assertEquals(201, created.statusCode(), created.body());
    assertTrue(created.headers().firstValue("Content-Type").orElse("").startsWith("application/json"),
        "the client accepts JSON after protobuf, so the answer is JSON");
    JsonNode object = KubeJson.parse(created.body());
    assertEquals("1", object.at("/data/a").asText());
    String rv = object.at("/metadata/resourceVersion").asText();

    var meta = newObjectMeta("pb").string(6, rv);
    HttpResponse<String> updated = send("PUT", CM + "/pb", PROTOBUF,
        envelope("v1", "ConfigMap", message().message(1, meta).entry(2, "a", "2")));
    assertEquals(200, updated.statusCode(), updated.body());
    assertEquals("2", KubeJson.parse(updated.body()).at("/data/a").asText());

    // the same update again: its resourceVersion is stale now
    expect(409, "Conflict", send("PUT", CM + "/pb", PROTOBUF,
        envelope("v1", "ConfigMap", message().message(1, meta).entry(2, "a", "3"))));
  }

  @Test
  void unknownProtobufFieldsFollowFieldValidation() throws Exception {
    JsonNode strict = expect(400, "BadRequest", send("POST", CM + "?fieldValidation=Strict", PROTOBUF,
        configMap("strict", "a", "1", 99)));
    assertTrue(strict.get("message").asText().contains("metadata.<protobuf field 99 of ObjectMeta>"), strict.toString());
    assertEquals(404, status(CM + "/strict"));

    HttpResponse<String> warned = send("POST", CM, PROTOBUF, configMap("warned", "a", "1", 99));
    assertEquals(201, warned.statusCode(), warned.body());
    assertTrue(warned.headers().allValues("Warning").stream()
        .anyMatch(w -> w.contains("unknown field") && w.contains("protobuf field 99")), warned.headers().toString());

    HttpResponse<String> ignored = send("POST", CM + "?fieldValidation=Ignore", PROTOBUF,
        configMap("ignored", "a", "1", 99));
    assertEquals(201, ignored.statusCode(), ignored.body());
    assertTrue(ignored.headers().allValues("Warning").isEmpty(), ignored.headers().toString());
  }

  @Test
  void badBodiesEachGetTheirStatusAndStoreNothing() throws Exception {
    byte[] good = configMap("bad", "a", "1", 0);
    byte[] wrongMagic = good.clone();
    wrongMagic[0] = 'K';
    expect(400, "BadRequest", send("POST", CM, PROTOBUF, wrongMagic));
    JsonNode truncated = expect(400, "BadRequest", send("POST", CM, PROTOBUF, Arrays.copyOf(good, good.length - 6)));
    assertTrue(truncated.get("message").asText().contains("protobuf"), truncated.toString());
    expect(400, "BadRequest", send("POST", CM, PROTOBUF, new byte[0]));
    JsonNode wrongKind = expect(400, "BadRequest", send("POST", "/api/v1/namespaces/default/secrets", PROTOBUF, good));
    assertTrue(wrongKind.get("message").asText().contains("ConfigMap"), wrongKind.toString());
    JsonNode wrongNamespace = expect(400, "BadRequest", send("POST", "/api/v1/namespaces/other/configmaps", PROTOBUF,
        envelope("v1", "ConfigMap", message().message(1, newObjectMeta("bad").string(3, "default")))));
    assertTrue(wrongNamespace.get("message").asText().contains("does not match the namespace"), wrongNamespace.toString());
    JsonNode invalid = expect(422, "Invalid", send("POST", CM, PROTOBUF, configMap("Bad_Name", "a", "1", 0)));
    assertTrue(invalid.get("message").asText().contains("metadata.name"), invalid.toString());
    JsonNode scale = expect(415, "UnsupportedMediaType", send("PUT",
        "/apis/apps/v1/namespaces/default/deployments/web/scale", PROTOBUF,
        envelope("autoscaling/v1", "Scale", message().message(1, newObjectMeta("web")).message(2, message().varint(1, 3)))));
    assertTrue(scale.get("message").asText().contains("JSON"), scale.toString());
    expect(413, "RequestEntityTooLarge", send("POST", CM, PROTOBUF, configMap("big", "a", "x".repeat(5000), 0)));
    for (String name : List.of("bad", "Bad_Name", "big")) {
      assertEquals(404, status(CM + "/" + name), name + " must not be stored");
    }
  }
}
