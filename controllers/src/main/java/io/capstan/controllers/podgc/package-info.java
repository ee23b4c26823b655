/**
 * The pod garbage collector (kube-controller-manager's PodGC): terminated pods beyond
 * {@code --terminated-pod-gc-threshold}, pods bound to nodes that no longer exist, terminating pods
 * never scheduled and terminating pods on out-of-service nodes are force-deleted; what to delete is
 * decided by {@link io.capstan.controllers.podgc.PodGcPlan}, apart from the writes.
 */
package io.capstan.controllers.podgc;
