/**
 * kube-controller-manager's horizontal pod autoscaler, its arithmetic first: the replica count a
 * Resource metric asks for (kube's replica calculator: tolerance, pods missing metrics, pods not
 * yet ready, pods without requests), a Resource metric's proposal, status and failure wording, and
 * the stabilization windows, behavior policies and bounds with their conditions.
 */
package io.capstan.controllers.hpa;
