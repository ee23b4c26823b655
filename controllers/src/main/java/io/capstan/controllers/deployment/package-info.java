/**
 * The Deployment controller: pod-template-hash ReplicaSets per template, RollingUpdate within
 * maxSurge / maxUnavailable and Recreate (the pure {@link io.capstan.controllers.deployment.RolloutPlanner}),
 * revisions and rollback, old ReplicaSet cleanup, pause, and Progressing / Available conditions.
 */
package io.capstan.controllers.deployment;
