/**
 * The DaemonSet controller: one pod per eligible node, placed by the scheduler through a node-name
 * affinity term, rolling updates within maxUnavailable/maxSurge, and revision history as
 * ControllerRevisions, as kube-controller-manager's daemon controller.
 */
package io.capstan.controllers.daemonset;
