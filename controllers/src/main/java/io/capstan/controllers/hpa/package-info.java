/**
 * kube-controller-manager's horizontal pod autoscaler, its arithmetic first: the replica count a
 * Resource metric asks for (kube's replica calculator: tolerance, pods missing metrics, pods not
 * yet ready, pods without requests) and the scale-down stabilization window.
 */
package io.capstan.controllers.hpa;
