/**
 * The ReplicaSet controller: keeps {@code spec.replicas} pods matching the selector, adopting
 * orphans, releasing pods that stopped matching, deleting surplus in Kubernetes' rank order,
 * and reports replicas, ready, available and fully-labeled counts in status.
 */
package io.capstan.controllers.replicaset;
