package io.capstan.stateviews.audit;

import java.time.Instant;
import java.util.List;

/**
 * One change in the audit trail.
 *
 * @param op           CREATED, UPDATED, STATUS_UPDATED, DELETION_STARTED, DELETED or BOUND
 * @param changedPaths the fields that changed (e.g. {@code spec.replicas})
 * @param mergePatch   RFC 7386 merge patch from before to after (JSON), null for creates
 */
public record AuditEntry(Instant time, String actor, String op, String kind, String namespace, String name,
    String uid, long resourceVersion, String requestId, List<String> changedPaths, String mergePatch) {

  /** {@code kind/namespace/name}, or {@code kind/name} for cluster-scoped objects. */
  public String object() {
    return namespace.isEmpty() ? kind + "/" + name : kind + "/" + namespace + "/" + name;
  }
}
