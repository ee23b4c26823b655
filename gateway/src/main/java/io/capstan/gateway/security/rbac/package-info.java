/**
 * Role-based access control as Kubernetes' RBAC authorizer: Roles, ClusterRoles and their bindings
 * followed from the gateway's watch cache into the index by subject that the command processor
 * shares ({@link io.capstan.stateviews.rbac.RbacPolicy}, whose rule matching is {@link
 * io.capstan.stateviews.rbac.PolicyRules}), the authorizer ({@link
 * io.capstan.gateway.security.rbac.RbacAuthorizer}) and escalation prevention ({@link
 * io.capstan.gateway.security.rbac.EscalationCheck}).
 */
package io.capstan.gateway.security.rbac;
