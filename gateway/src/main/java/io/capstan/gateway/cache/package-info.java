/**
 * The gateway's watch cache, after kube-apiserver's cacher: per kind, the current objects (fed by
 * the state topic's informer), the per-partition versions they reflect, and a bounded window of
 * recent changes from which lists are served at one exact resourceVersion, watches are resumed
 * from a resourceVersion (older ones get 410 Gone) and reads wait for this gateway's own writes.
 */
package io.capstan.gateway.cache;
