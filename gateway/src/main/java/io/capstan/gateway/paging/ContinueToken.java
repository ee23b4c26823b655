package io.capstan.gateway.paging;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.logschema.json.KubeJson;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The {@code continue} token of a paginated list: the resourceVersion the first chunk was served
 * at (every later chunk is served at the same version, as Kubernetes guarantees) and the object
 * key after which the next chunk starts. Encoded as base64url JSON, opaque to clients; a token
 * that does not decode is an {@link IllegalArgumentException} worded for a 400 BadRequest.
 */
public record ContinueToken(long resourceVersion, String startAfter) {
  private static final int VERSION = 1;

  public String encode() {
    ObjectNode json = JsonNodeFactory.instance.objectNode();
    json.put("v", VERSION);
    json.put("rv", resourceVersion);
    json.put("start", startAfter);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(json.toString().getBytes(StandardCharsets.UTF_8));
  }

  public static ContinueToken decode(String token) {
    try {
      JsonNode json = KubeJson.jsonMapper().readTree(Base64.getUrlDecoder().decode(token));
      if (json.path("v").asInt() != VERSION || !json.path("rv").canConvertToLong() || !json.path("start").isTextual()) {
        throw new IllegalArgumentException("unknown token layout");
      }
      return new ContinueToken(json.get("rv").asLong(), json.get("start").asText());
    } catch (Exception e) {
      throw new IllegalArgumentException("continue key is not valid: " + e.getMessage(), e);
    }
  }
}
