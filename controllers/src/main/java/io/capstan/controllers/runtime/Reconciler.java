package io.capstan.controllers.runtime;

/**
 * Brings one object towards its desired state: observe the caches, diff, act through commands.
 * Called with the key ({@code Kind/namespace/name}) only, never the event, as in Kubernetes
 * controllers: the cache is read fresh, so a reconcile is level- not edge-triggered. A thrown
 * exception counts as {@link ReconcileResult.Failed}.
 */
@FunctionalInterface
public interface Reconciler {
  ReconcileResult reconcile(String key) throws Exception;
}
