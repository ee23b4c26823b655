/**
 * Authorization of Capstan's own components in the command processor, the single writer: the
 * controller manager, the scheduler and each node agent write commands straight to Kafka, so the
 * processor decides what their identities may do, by RBAC over the same Roles and bindings the
 * gateway reads ({@link io.capstan.stateviews.rbac.RbacPolicy}) and, for nodes, by Kubernetes'
 * NodeRestriction admission (a node writes only its own Node and Lease, the status of pods bound
 * to it, …). Commands of other actors were authorized by the gateway that sent them.
 */
package io.capstan.stateviews.processor.authz;
