/**
 * PodDisruptionBudget rules shared by the eviction subresource (gateway) and the disruption
 * controller: which budgets cover a pod, whether a pod counts as healthy, and the
 * {@code DisruptionAllowed} condition, as kube's pdb helpers define them. Pure functions.
 */
package io.capstan.logschema.disruption;
