/**
 * The StatefulSet controller: pods with stable names {@code <set>-<ordinal>}, hostnames and
 * subdomains, made in order (OrderedReady) or all at once (Parallel), each with its claims
 * {@code <template>-<set>-<ordinal>} from the volumeClaimTemplates (kept or deleted as
 * persistentVolumeClaimRetentionPolicy says), rolling updates from the highest ordinal down to the
 * partition within maxUnavailable, OnDelete, and revision history as ControllerRevisions, as
 * kube-controller-manager's stateful set controller.
 */
package io.capstan.controllers.statefulset;
