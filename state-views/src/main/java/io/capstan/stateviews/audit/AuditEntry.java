package io.capstan.stateviews.audit;

import java.time.Instant;
import java.util.List;

/**
 * One change in the audit trail.
 *
 * @param op           CREATED, UPDATED, STATUS_UPDATED, DELETION_STARTED, DELETED or BOUND
 * @param changedPaths the fields that changed (e.g. {@code spec.replicas})
 * @param mergePatch   RFC 7386 merge patch from before to after (JSON), null for creates
 * @param responseObject the object after the change as JSON, when asked for (null otherwise)
 * @param objectError  why the object could not be decoded, when asked for and it could not
 * @param access       for a decision of access control (a refusal, a read of Secrets): the record; null for changes
 */
public record AuditEntry(Instant time, String actor, String op, String kind, String namespace, String name,
    String uid, long resourceVersion, String requestId, List<String> changedPaths, String mergePatch,
    String responseObject, String objectError, io.capstan.log.Access access) {

  /** A change from the event log. */
  public AuditEntry(Instant time, String actor, String op, String kind, String namespace, String name,
      String uid, long resourceVersion, String requestId, List<String> changedPaths, String mergePatch,
      String responseObject, String objectError) {
    this(time, actor, op, kind, namespace, name, uid, resourceVersion, requestId, changedPaths, mergePatch,
        responseObject, objectError, null);
  }

  /**
   * A decision of a gateway's access control from the access topic: a refusal ({@code op}
   * {@code DENIED}) or a read of Secrets ({@code GET}, {@code LIST}, {@code WATCH}); {@code kind}
   * is the resource's kind when it names one, else the resource or the request's path.
   */
  public static AuditEntry of(io.capstan.log.Access a) {
    String kind = a.getResource().isEmpty() ? a.getPath()
        : io.capstan.logschema.kinds.Kinds.lookup(a.getResource()).map(io.capstan.logschema.kinds.Kind::kind)
            .orElse(a.getResource());
    String op = "deny".equals(a.getDecision()) ? "DENIED" : a.getVerb().toUpperCase(java.util.Locale.ROOT);
    return new AuditEntry(Instant.ofEpochSecond(a.getTimeMicros() / 1_000_000, (a.getTimeMicros() % 1_000_000) * 1_000),
        a.getUser(), op, kind, a.getNamespace(), a.getName(), "", 0, "", List.of(), null, null, null, a);
  }

  /** The same entry with the object after the change (or why it could not be read). */
  public AuditEntry withObject(String json, String error) {
    return new AuditEntry(time, actor, op, kind, namespace, name, uid, resourceVersion, requestId, changedPaths,
        mergePatch, json, error, access);
  }

  /** {@code kind/namespace/name}, or {@code kind/name} for cluster-scoped objects. */
  public String object() {
    if (access != null && name.isEmpty()) {
      return namespace.isEmpty() ? kind : kind + "/" + namespace + "/*";
    }
    return namespace.isEmpty() ? kind + "/" + name : kind + "/" + namespace + "/" + name;
  }
}
