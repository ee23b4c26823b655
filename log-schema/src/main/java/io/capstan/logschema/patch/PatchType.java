package io.capstan.logschema.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.Optional;
import org.apache.avro.Schema;

/** The patch formats of a Kubernetes PATCH request, by their Content-Type. */
public enum PatchType {
  JSON_PATCH("application/json-patch+json"),
  MERGE_PATCH("application/merge-patch+json"),
  STRATEGIC_MERGE_PATCH("application/strategic-merge-patch+json");

  private final String mediaType;

  PatchType(String mediaType) {
    this.mediaType = mediaType;
  }

  public String mediaType() {
    return mediaType;
  }

  /** The patch type of a Content-Type header value (parameters such as charset ignored). */
  public static Optional<PatchType> byMediaType(String contentType) {
    if (contentType == null) {
      return Optional.empty();
    }
    String bare = contentType.split(";", 2)[0].trim().toLowerCase(java.util.Locale.ROOT);
    return Arrays.stream(values()).filter(t -> t.mediaType.equals(bare)).findFirst();
  }

  /** Applies a patch of this type to an object's JSON; the result must still be an object. */
  public ObjectNode apply(Schema schema, ObjectNode original, JsonNode patch) {
    JsonNode result = switch (this) {
      case JSON_PATCH -> JsonPatch.apply(original, patch);
      case MERGE_PATCH -> {
        if (patch == null || !patch.isObject()) {
          throw PatchException.malformed("a merge patch must be a JSON object");
        }
        yield JsonMergePatch.apply(original, patch);
      }
      case STRATEGIC_MERGE_PATCH -> StrategicMergePatch.apply(schema, original, patch);
    };
    if (!result.isObject()) {
      throw PatchException.cannotApply("the patched document is a " + result.getNodeType().toString().toLowerCase()
          + ", not an object");
    }
    return (ObjectNode) result;
  }
}
