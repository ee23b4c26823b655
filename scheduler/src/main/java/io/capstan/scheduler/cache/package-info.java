/**
 * The scheduler's cache (kube-scheduler's internal/cache): nodes with the pods placed on them,
 * including pods assumed by this scheduler and not yet confirmed by the informer, and the
 * incremental per-cycle snapshot the plugins read.
 */
package io.capstan.scheduler.cache;
