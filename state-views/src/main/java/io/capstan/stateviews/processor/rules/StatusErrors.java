package io.capstan.stateviews.processor.rules;

import io.capstan.log.ErrorStatus;
import io.capstan.log.StatusCause;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.validation.FieldError;
import java.util.List;

/**
 * Kubernetes {@code metav1.Status} errors worded as kube-apiserver words them, so kubectl and
 * client libraries show (and match on) the messages their users know.
 */
public final class StatusErrors {
  private StatusErrors() {}

  /** The resource as Kubernetes names it in messages: {@code configmaps}, {@code deployments.apps}. */
  public static String resource(Kind kind) {
    return kind.group().isEmpty() ? kind.plural() : kind.plural() + "." + kind.group();
  }

  public static ErrorStatus notFound(Kind kind, String name) {
    return status(404, "NotFound", resource(kind) + " \"" + name + "\" not found", kind.plural(), name, kind.group(), List.of());
  }

  public static ErrorStatus namespaceNotFound(String namespace) {
    return status(404, "NotFound", "namespaces \"" + namespace + "\" not found", "namespaces", namespace, "", List.of());
  }

  /** As the registry says it; a name still held by an object being deleted says so. */
  public static ErrorStatus alreadyExists(Kind kind, String name, boolean beingDeleted) {
    String msg = resource(kind) + " \"" + name + "\" already exists";
    return status(409, "AlreadyExists", beingDeleted ? "object is being deleted: " + msg : msg,
        kind.plural(), name, kind.group(), List.of());
  }

  /** {@code Operation cannot be fulfilled on configmaps "x": <detail>}. */
  public static ErrorStatus conflict(String resource, Kind kind, String name, String detail) {
    return status(409, "Conflict", "Operation cannot be fulfilled on " + resource + " \"" + name + "\": " + detail,
        kind.plural(), name, kind.group(), List.of());
  }

  /** The optimistic-concurrency failure clients retry on. */
  public static ErrorStatus modified(Kind kind, String name) {
    return conflict(resource(kind), kind, name,
        "the object has been modified; please apply your changes to the latest version and try again");
  }

  /** 422 with one cause per field error: {@code ConfigMap "x" is invalid: metadata.name: ...}. */
  public static ErrorStatus invalid(Kind kind, String name, List<FieldError> errors) {
    return invalid(kind.kind(), kind.group(), name, errors);
  }

  public static ErrorStatus invalid(String kindName, String group, String name, List<FieldError> errors) {
    String detail = errors.size() == 1
        ? errors.get(0).toString()
        : "[" + String.join(", ", errors.stream().map(FieldError::toString).toList()) + "]";
    List<StatusCause> causes = errors.stream()
        .map(e -> StatusCause.newBuilder().setReason(e.reason()).setMessage(e.message()).setField(e.field()).build())
        .toList();
    return status(422, "Invalid", kindName + " \"" + name + "\" is invalid: " + detail, kindName, name, group, causes);
  }

  /** {@code pods "x" is forbidden: unable to create new content in namespace ns because it is being terminated}. */
  public static ErrorStatus namespaceTerminating(Kind kind, String name, String namespace) {
    String why = "unable to create new content in namespace " + namespace + " because it is being terminated";
    StatusCause cause = StatusCause.newBuilder()
        .setReason("NamespaceTerminating").setMessage(why).setField("metadata.namespace").build();
    return status(403, "Forbidden", resource(kind) + " \"" + name + "\" is forbidden: " + why,
        kind.plural(), name, kind.group(), List.of(cause));
  }

  /**
   * 403 as an admission plugin refuses: {@code pods "web-1" is forbidden: exceeded quota: compute, ...}
   * (admission.NewForbidden); without a name (an authorizer's denial of a create) {@code pods is forbidden: ...}.
   */
  public static ErrorStatus forbidden(Kind kind, String name, String why) {
    String what = name == null || name.isEmpty() ? resource(kind) : resource(kind) + " \"" + name + "\"";
    return status(403, "Forbidden", what + " is forbidden: " + why, kind.plural(), name, kind.group(), List.of());
  }

  /** 401 as kube-apiserver answers a request it cannot authenticate: {@code Unauthorized} with the reason. */
  public static ErrorStatus unauthorized(String why) {
    return status(401, "Unauthorized", why, "", "", "", List.of());
  }

  /**
   * 405 as kube-apiserver's custom resource handler answers a create while the kind's definition
   * is being deleted: {@code create not allowed while custom resource definition is terminating}.
   */
  public static ErrorStatus definitionTerminating(Kind kind, String op) {
    return status(405, "MethodNotAllowed", op.toLowerCase(java.util.Locale.ROOT)
        + " not allowed while custom resource definition is terminating", kind.plural(), "", kind.group(), List.of());
  }

  /** A write whose object would be larger than the log takes in one record. */
  public static ErrorStatus tooLarge(Kind kind, String name, int bytes, int limit) {
    return status(413, "RequestEntityTooLarge", resource(kind) + " \"" + name + "\" is too large: it would be "
        + bytes + " bytes as stored, and the limit is " + limit + " bytes", kind.plural(), name, kind.group(), List.of());
  }

  public static ErrorStatus badRequest(String message) {
    return status(400, "BadRequest", message, "", "", "", List.of());
  }

  public static ErrorStatus internal(String message) {
    return status(500, "InternalError", "Internal error occurred: " + message, "", "", "", List.of());
  }

  private static ErrorStatus status(int code, String reason, String message, String kind, String name, String group,
      List<StatusCause> causes) {
    return ErrorStatus.newBuilder()
        .setCode(code).setReason(reason).setMessage(message)
        .setKind(kind).setName(name == null ? "" : name).setGroup(group)
        .setCauses(causes)
        .build();
  }
}
