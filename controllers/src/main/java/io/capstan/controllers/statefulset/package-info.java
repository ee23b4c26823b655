/**
 * The StatefulSet controller: pods with stable names {@code <set>-<ordinal>}, hostnames and
 * subdomains, made in order (OrderedReady) or all at once (Parallel), rolling updates from the
 * highest ordinal down to the partition within maxUnavailable, OnDelete, and revision history as
 * ControllerRevisions, as kube-controller-manager's stateful set controller.
 */
package io.capstan.controllers.statefulset;
