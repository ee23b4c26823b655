/**
 * Role-based access control as Kubernetes' RBAC authorizer evaluates it, shared by the gateway
 * (users' requests) and the command processor (components' commands): Roles, ClusterRoles and
 * their bindings indexed by subject ({@link io.capstan.stateviews.rbac.RbacPolicy}) and rule
 * matching ({@link io.capstan.stateviews.rbac.PolicyRules}). Each side feeds the policy from its
 * own copy of the RBAC tables (the gateway's watch cache, the processor's global stores).
 */
package io.capstan.stateviews.rbac;
