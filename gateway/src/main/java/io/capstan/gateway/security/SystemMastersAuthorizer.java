package io.capstan.gateway.security;

/**
 * Allows everything to members of {@code system:masters} and has no opinion on anyone else, as
 * kube-apiserver's privileged-group authorizer that runs before RBAC. Alone, it is the safe
 * authorizer for the decisions authentication asks for (impersonation) until RBAC decides them:
 * only cluster administrators may act as someone else.
 */
public final class SystemMastersAuthorizer implements Authorizer {
  public static final String GROUP = "system:masters";

  @Override
  public Decision authorize(RequestAttributes request) {
    return request.user() != null && request.user().groups().contains(GROUP)
        ? Decision.allow("member of " + GROUP) : Decision.noOpinion("");
  }
}
