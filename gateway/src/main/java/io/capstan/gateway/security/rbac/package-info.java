/**
 * Role-based access control as Kubernetes' RBAC authorizer: Roles, ClusterRoles and their bindings
 * followed from the gateway's watch cache into an index by subject ({@link
 * io.capstan.gateway.security.rbac.RbacPolicy}), rule matching ({@link
 * io.capstan.gateway.security.rbac.PolicyRules}), the authorizer ({@link
 * io.capstan.gateway.security.rbac.RbacAuthorizer}) and escalation prevention ({@link
 * io.capstan.gateway.security.rbac.EscalationCheck}).
 */
package io.capstan.gateway.security.rbac;
