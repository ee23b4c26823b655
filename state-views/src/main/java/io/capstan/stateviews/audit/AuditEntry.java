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
 */
public record AuditEntry(Instant time, String actor, String op, String kind, String namespace, String name,
    String uid, long resourceVersion, String requestId, List<String> changedPaths, String mergePatch,
    String responseObject, String objectError) {

  /** The same entry with the object after the change (or why it could not be read). */
  public AuditEntry withObject(String json, String error) {
    return new AuditEntry(time, actor, op, kind, namespace, name, uid, resourceVersion, requestId, changedPaths,
        mergePatch, json, error);
  }

  /** {@code kind/namespace/name}, or {@code kind/name} for cluster-scoped objects. */
  public String object() {
    return namespace.isEmpty() ? kind + "/" + name : kind + "/" + namespace + "/" + name;
  }
}
