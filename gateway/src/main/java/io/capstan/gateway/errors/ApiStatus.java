package io.capstan.gateway.errors;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.logschema.validation.FieldError;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A failed call as a Kubernetes {@code Status}: HTTP code, machine reason (NotFound, Invalid, ...),
 * human message and details naming the object and, for Invalid, each field at fault. The
 * factories word their messages as kube-apiserver does, so kubectl prints familiar errors.
 */
public record ApiStatus(int code, String reason, String message, Details details) {

  /** {@code details}: the object the error is about and its causes; any part may be empty. */
  public record Details(String name, String group, String kind, List<Cause> causes, Integer retryAfterSeconds) {
    public Details {
      causes = causes == null ? List.of() : List.copyOf(causes);
    }

    static Details of(String name, String group, String kind) {
      return new Details(name, group, kind, List.of(), null);
    }
  }

  /** One {@code details.causes[]} entry: reason (e.g. FieldValueRequired), message, field path. */
  public record Cause(String reason, String message, String field) {
    public static Cause of(FieldError e) {
      return new Cause(e.reason(), e.message(), e.field());
    }
  }

  public static ApiStatus badRequest(String message) {
    return new ApiStatus(400, "BadRequest", message, null);
  }

  public static ApiStatus unauthorized() {
    return new ApiStatus(401, "Unauthorized", "Unauthorized", null);
  }

  public static ApiStatus forbidden(String user, String verb, String resource, String group, String namespace) {
    String scope = namespace == null || namespace.isEmpty() ? "at the cluster scope" : "in the namespace \"" + namespace + "\"";
    return new ApiStatus(403, "Forbidden", resource + " is forbidden: User \"" + user + "\" cannot " + verb
        + " resource \"" + resource + "\" in API group \"" + group + "\" " + scope, Details.of(null, group, resource));
  }

  /**
   * 403 as apierrors.NewForbidden: {@code pods is forbidden: <why>}, {@code roles.rbac.authorization.k8s.io "x"
   * is forbidden: <why>}, or {@code forbidden: <why>} when no resource is concerned (a non-resource path).
   */
  public static ApiStatus forbidden(String group, String resource, String name, String why) {
    String qualified = resource == null || resource.isEmpty() ? ""
        : group == null || group.isEmpty() ? resource : resource + "." + group;
    String message = qualified.isEmpty() ? "forbidden: " + why
        : name == null || name.isEmpty() ? qualified + " is forbidden: " + why
        : qualified + " \"" + name + "\" is forbidden: " + why;
    return new ApiStatus(403, "Forbidden", message, qualified.isEmpty() ? null
        : Details.of(name == null || name.isEmpty() ? null : name, group, resource));
  }

  /** A missing object: {@code configmaps "x" not found}. */
  public static ApiStatus notFound(String group, String resource, String name) {
    String qualified = group.isEmpty() ? resource : resource + "." + group;
    return new ApiStatus(404, "NotFound", qualified + " \"" + name + "\" not found", Details.of(name, group, resource));
  }

  /** A URL that names no resource. */
  public static ApiStatus noSuchPath() {
    return new ApiStatus(404, "NotFound", "the server could not find the requested resource", null);
  }

  public static ApiStatus methodNotAllowed(String method, String what) {
    return new ApiStatus(405, "MethodNotAllowed", "the server does not allow this method on the requested resource: "
        + method + " " + what, null);
  }

  public static ApiStatus alreadyExists(String group, String resource, String name) {
    String qualified = group.isEmpty() ? resource : resource + "." + group;
    return new ApiStatus(409, "AlreadyExists", qualified + " \"" + name + "\" already exists",
        Details.of(name, group, resource));
  }

  /** An update whose resourceVersion (or uid precondition) no longer matches. */
  public static ApiStatus conflict(String group, String resource, String name, String why) {
    String qualified = group.isEmpty() ? resource : resource + "." + group;
    return new ApiStatus(409, "Conflict", "Operation cannot be fulfilled on " + qualified + " \"" + name + "\": " + why,
        Details.of(name, group, resource));
  }

  /** A resourceVersion or continue token older than the server keeps: {@code 410 Expired}. */
  public static ApiStatus expired(String message) {
    return new ApiStatus(410, "Expired", message, null);
  }

  /** A watch resuming from a compacted version; sent as an ERROR watch event. */
  public static ApiStatus gone(String message) {
    return new ApiStatus(410, "Gone", message, null);
  }

  public static ApiStatus requestEntityTooLarge(long limit) {
    return new ApiStatus(413, "RequestEntityTooLarge", "the request body is larger than the limit of " + limit + " bytes",
        null);
  }

  public static ApiStatus unsupportedMediaType(String contentType, List<String> supported) {
    return new ApiStatus(415, "UnsupportedMediaType", "the body of the request was in an unknown format - accepted media "
        + "types include: " + String.join(", ", supported) + (contentType == null ? "" : " (got \"" + contentType + "\")"),
        null);
  }

  /** A well-formed object that fails validation: 422 with one cause per field error. */
  public static ApiStatus invalid(String group, String kind, String name, List<FieldError> errors) {
    String qualified = group.isEmpty() ? kind : kind + "." + group;
    String list = errors.size() == 1 ? errors.get(0).toString()
        : "[" + errors.stream().map(FieldError::toString).collect(Collectors.joining(", ")) + "]";
    return new ApiStatus(422, "Invalid", qualified + " \"" + (name == null ? "" : name) + "\" is invalid: " + list,
        new Details(name, group, kind, errors.stream().map(Cause::of).toList(), null));
  }

  public static ApiStatus tooManyRequests(int retryAfterSeconds) {
    return new ApiStatus(429, "TooManyRequests", "Too many requests, please try again later.",
        new Details(null, null, null, List.of(), retryAfterSeconds));
  }

  public static ApiStatus internalError(String message) {
    return new ApiStatus(500, "InternalError", "Internal error occurred: " + message, null);
  }

  public static ApiStatus serviceUnavailable(String message) {
    return new ApiStatus(503, "ServiceUnavailable", message, null);
  }

  public static ApiStatus timeout(String message) {
    return new ApiStatus(504, "Timeout", message, null);
  }

  /** Status is Success only for deletes; every factory here builds a Failure. */
  public ObjectNode toJson() {
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    out.put("kind", "Status");
    out.put("apiVersion", "v1");
    out.putObject("metadata");
    out.put("status", code < 400 ? "Success" : "Failure");
    out.put("message", message);
    out.put("reason", reason);
    if (details != null) {
      ObjectNode d = out.putObject("details");
      if (details.name() != null) {
        d.put("name", details.name());
      }
      if (details.group() != null) {
        d.put("group", details.group());
      }
      if (details.kind() != null) {
        d.put("kind", details.kind());
      }
      if (!details.causes().isEmpty()) {
        ArrayNode causes = d.putArray("causes");
        for (Cause c : details.causes()) {
          ObjectNode cause = causes.addObject().put("reason", c.reason()).put("message", c.message());
          if (c.field() != null) {
            cause.put("field", c.field());
          }
        }
      }
      if (details.retryAfterSeconds() != null) {
        d.put("retryAfterSeconds", details.retryAfterSeconds());
      }
    }
    out.put("code", code);
    return out;
  }
}
