package io.capstan.gateway.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.gateway.errors.ApiException;
import io.capstan.gateway.errors.ApiStatus;
import io.capstan.logschema.json.KubeJson;

/**
 * A DELETE's body, a v1 DeleteOptions, decoded strictly by type as kube-apiserver decodes it: a
 * field of the wrong type (preconditions that are not an object, a grace period that is not an
 * integer) is a 400, never an option silently dropped. Dropping one would turn a delete the client
 * made conditional into an unconditional one.
 *
 * @param propagationPolicy null when not given
 * @param gracePeriodSeconds null when not given
 * @param uid               the precondition on the uid, null when none
 * @param resourceVersion   the precondition on the resourceVersion, null when none
 * @param orphanDependents  the deprecated form of propagationPolicy=Orphan
 */
record DeleteOptionsBody(String propagationPolicy, Long gracePeriodSeconds, String uid, String resourceVersion,
    boolean orphanDependents) {

  static DeleteOptionsBody parse(String text) {
    JsonNode options = KubeJson.parse(text);
    if (!options.isObject()) {
      throw new ApiException(ApiStatus.badRequest("the DeleteOptions body must be a JSON object"));
    }
    JsonNode preconditions = options.path("preconditions");
    if (!preconditions.isMissingNode() && !preconditions.isNull() && !preconditions.isObject()) {
      throw wrongType("preconditions", "an object", preconditions);
    }
    return new DeleteOptionsBody(string(options, "propagationPolicy"), integer(options, "gracePeriodSeconds"),
        string(preconditions, "uid"), string(preconditions, "resourceVersion"), bool(options, "orphanDependents"));
  }

  private static String string(JsonNode object, String field) {
    JsonNode v = object.path(field);
    if (v.isMissingNode() || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw wrongType(field, "a string", v);
    }
    return v.textValue();
  }

  private static Long integer(JsonNode object, String field) {
    JsonNode v = object.path(field);
    if (v.isMissingNode() || v.isNull()) {
      return null;
    }
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw wrongType(field, "an integer", v);
    }
    return v.longValue();
  }

  private static boolean bool(JsonNode object, String field) {
    JsonNode v = object.path(field);
    if (v.isMissingNode() || v.isNull()) {
      return false;
    }
    if (!v.isBoolean()) {
      throw wrongType(field, "a boolean", v);
    }
    return v.booleanValue();
  }

  private static ApiException wrongType(String field, String expected, JsonNode got) {
    return new ApiException(ApiStatus.badRequest("DeleteOptions." + field + ": must be " + expected + ", got "
        + got.getNodeType().toString().toLowerCase(java.util.Locale.ROOT) + " " + abbreviated(got)));
  }

  private static String abbreviated(JsonNode v) {
    String s = v.toString();
    return s.length() <= 60 ? s : s.substring(0, 60) + "...";
  }
}
