package io.capstan.gateway.store;

/**
 * A delete's options (Kubernetes DeleteOptions).
 *
 * @param propagationPolicy  Orphan, Background (the default) or Foreground
 * @param gracePeriodSeconds null for the kind's default
 * @param preconditionUid    delete only if the object still has this uid, or null
 * @param preconditionResourceVersion delete only at this resourceVersion, or null
 */
public record DeleteRequest(String actor, boolean dryRun, String propagationPolicy, Long gracePeriodSeconds,
    String preconditionUid, String preconditionResourceVersion) {
  public static DeleteRequest byDefault(String actor) {
    return new DeleteRequest(actor, false, "Background", null, null, null);
  }
}
