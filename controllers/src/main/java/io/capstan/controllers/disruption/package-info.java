/**
 * kube-controller-manager's disruption controller: keeps each PodDisruptionBudget's status (healthy
 * and desired pod counts, expected pods, disruptions allowed, pods being evicted) in step with its
 * pods and their controllers' scale.
 */
package io.capstan.controllers.disruption;
