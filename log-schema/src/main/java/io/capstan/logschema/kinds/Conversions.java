package io.capstan.logschema.kinds;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.logschema.autoscaling.AutoscalingV1;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The built-in kinds served in a version whose objects are shaped differently from their
 * storage version's, with the functions between the two, as kube-apiserver's conversion
 * functions: {@code autoscaling/v1} HorizontalPodAutoscalers, stored as {@code autoscaling/v2}.
 * An object sent in such a version is converted to the storage version before it is validated
 * and stored; an answer is converted back to the version the request was made in. (Custom kinds
 * are served with conversion strategy None: their versions differ only in apiVersion.)
 */
public final class Conversions {

  /** Converting objects between one served version of a kind and its storage version. */
  public interface Conversion {
    /**
     * The object in the storage version (its apiVersion names that version).
     *
     * @throws io.capstan.logschema.json.ConversionException naming the field that cannot be converted
     */
    ObjectNode toStorage(JsonNode served);

    /** The stored object in the served version. */
    ObjectNode toServed(JsonNode stored);

    /** The paths of the fields of an object in the served version that the version does not have. */
    List<String> unknownFields(JsonNode served);

    /** A field path of the stored object (a validation error's) as the served version names the field. */
    String servedPath(String storagePath);

    /** The served version's OpenAPI v3 schema of the kind (without apiVersion, kind and metadata). */
    ObjectNode openApiSchema();
  }

  /** By kind name and apiVersion. */
  private static final Map<String, Conversion> CONVERSIONS = Map.of(
      key("HorizontalPodAutoscaler", "autoscaling/v1"), AutoscalingV1.CONVERSION);

  private Conversions() {}

  private static String key(String kind, String apiVersion) {
    return kind + " " + apiVersion;
  }

  /** The conversion of objects of a built-in kind served in {@code version}, if they need one. */
  public static Optional<Conversion> of(Kind kind, String version) {
    if (kind.custom() || version == null || version.equals(kind.version()) || !kind.serves(version)) {
      return Optional.empty();
    }
    return Optional.ofNullable(CONVERSIONS.get(key(kind.kind(), kind.apiVersion(version))));
  }

  /** The conversion of an object of {@code kind} in the version its apiVersion names, if it needs one. */
  public static Optional<Conversion> ofObject(Kind kind, JsonNode object) {
    JsonNode apiVersion = object.path("apiVersion");
    if (kind.custom() || !apiVersion.isTextual()) {
      return Optional.empty();
    }
    return Optional.ofNullable(CONVERSIONS.get(key(kind.kind(), apiVersion.textValue())));
  }
}
