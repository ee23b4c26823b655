package io.capstan.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.gateway.errors.ApiException;
import io.netty.handler.codec.http.multipart.HttpPostRequestDecoder;
import io.vertx.core.http.HttpMethod;
import org.junit.jupiter.api.Test;

/** One focused check per bug that {@link HostileInputTest}'s fuzzing found in request parsing. */
class HostileInputRegressionTest {

  /** A DELETE with {@code "preconditions":5} deleted the object unconditionally; it is a 400 now. */
  @Test
  void deleteOptionsOfTheWrongTypeAreRejectedNotDropped() {
    for (String body : new String[] {"{\"preconditions\":5}", "{\"preconditions\":\"rv\"}",
        "{\"preconditions\":{\"uid\":{\"a\":1}}}", "{\"preconditions\":{\"resourceVersion\":7}}",
        "{\"gracePeriodSeconds\":\"soon\"}", "{\"gracePeriodSeconds\":1.5}", "{\"orphanDependents\":\"maybe\"}",
        "{\"propagationPolicy\":[\"Orphan\"]}", "[]", "\"x\""}) {
      ApiException e = assertThrows(ApiException.class, () -> DeleteOptionsBody.parse(body), body);
      assertEquals(400, e.status().code(), body);
    }
    DeleteOptionsBody ok = DeleteOptionsBody.parse("{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\","
        + "\"gracePeriodSeconds\":0,\"preconditions\":{\"uid\":\"u\",\"resourceVersion\":\"5\"},"
        + "\"propagationPolicy\":\"Foreground\",\"orphanDependents\":null}");
    assertEquals(new DeleteOptionsBody("Foreground", 0L, "u", "5", false), ok);
    DeleteOptionsBody empty = DeleteOptionsBody.parse("{\"preconditions\":null}");
    assertNull(empty.uid());
    assertNull(empty.gracePeriodSeconds());
  }

  /** A path segment with a bad percent-escape was a 500 (URLDecoder's IllegalArgumentException). */
  @Test
  void aBadEscapeInThePathIsABadRequest() {
    for (String path : new String[] {"/api/v1/namespaces/default/configmaps/%zz", "/api/v1/namespaces/%/pods",
        "/apis/apps/%G1/deployments"}) {
      ApiException e = assertThrows(ApiException.class, () -> ResourcePath.parse(path), path);
      assertEquals(400, e.status().code());
    }
    assertEquals("a+b", ResourcePath.parse("/api/v1/namespaces/default/configmaps/a+b").name(),
        "a plus in a path is a plus");
    assertEquals("a b", ResourcePath.parse("/api/v1/namespaces/default/configmaps/a%20b").name());
  }

  /** A scale patched to {@code "resourceVersion":{"a":1}} was applied as if it named no version. */
  @Test
  void aScaleWhoseIdentityIsNotStringsIsRejected() throws Exception {
    for (String scale : new String[] {"{\"metadata\":{\"resourceVersion\":{\"a\":1}},\"spec\":{\"replicas\":1}}",
        "{\"metadata\":{\"name\":5},\"spec\":{\"replicas\":1}}", "{\"metadata\":[1],\"spec\":{\"replicas\":1}}",
        "{\"kind\":{\"a\":1},\"spec\":{\"replicas\":1}}"}) {
      ApiException e = assertThrows(ApiException.class, () -> ScaleView.replicas(
          io.capstan.logschema.json.KubeJson.parse(scale), io.capstan.logschema.kinds.Kinds.DEPLOYMENT, "web"), scale);
      assertEquals(400, e.status().code(), scale);
    }
    assertEquals(3, ScaleView.replicas(io.capstan.logschema.json.KubeJson.parse(
        "{\"kind\":\"Scale\",\"metadata\":{\"name\":\"web\",\"resourceVersion\":\"7\"},\"spec\":{\"replicas\":3}}"),
        io.capstan.logschema.kinds.Kinds.DEPLOYMENT, "web"));
  }

  /** Invented HTTP methods each made a new series of request metrics (a histogram apiece). */
  @Test
  void inventedMethodsShareOneMetricsTag() {
    assertEquals("GET", RequestMetrics.methodTag(HttpMethod.GET));
    assertEquals("PATCH", RequestMetrics.methodTag(HttpMethod.PATCH));
    assertEquals("other", RequestMetrics.methodTag(HttpMethod.valueOf("XQZWV")));
    assertEquals("other", RequestMetrics.methodTag(HttpMethod.valueOf("PROPFIND")));
  }

  /** Failures of Netty's HTTP decoding are the client's, told apart from the gateway's own. */
  @Test
  void decodingFailuresAreTheClients() {
    assertTrue(UnreadableRequests.isDecodingFailure(new HttpPostRequestDecoder.ErrorDataDecoderException("bad")));
    NumberFormatException chunk = new NumberFormatException("Invalid character in chunk size");
    chunk.setStackTrace(new StackTraceElement[] {new StackTraceElement(
        "io.netty.handler.codec.http.HttpObjectDecoder", "getChunkSize", "HttpObjectDecoder.java", 951)});
    assertTrue(UnreadableRequests.isDecodingFailure(chunk));
    assertFalse(UnreadableRequests.isDecodingFailure(new IllegalStateException("a bug of ours")));
    assertFalse(UnreadableRequests.isDecodingFailure(new NumberFormatException("For input string: \"x\"")));
  }
}
