package io.capstan.gateway.security.rbac;

import io.capstan.api.PolicyRule;
import io.capstan.gateway.security.Authorizer;
import io.capstan.gateway.security.RequestAttributes;
import io.capstan.gateway.security.UserInfo;
import java.util.List;

/**
 * Kubernetes' RBAC authorizer over an {@link RbacPolicy}, behind the superuser group: members of
 * {@code system:masters} may do anything (kube-apiserver's privileged group), everyone else what
 * a rule of one of their bindings allows. Nothing allowed is {@code NO_OPINION}, which the
 * gateway treats as a denial, as kube-apiserver does at the end of its authorizer chain.
 */
public final class RbacAuthorizer implements Authorizer {
  public static final String SUPERUSER_GROUP = "system:masters";

  private final RbacPolicy policy;

  public RbacAuthorizer(RbacPolicy policy) {
    this.policy = policy;
  }

  public RbacPolicy policy() {
    return policy;
  }

  @Override
  public Decision authorize(RequestAttributes request) {
    UserInfo user = request.user();
    if (user == null) {
      return Decision.noOpinion("no user");
    }
    if (isSuperuser(user)) {
      return Decision.allow("member of " + SUPERUSER_GROUP);
    }
    for (RbacPolicy.Grant g : policy.grants(user, request.namespace())) {
      for (PolicyRule rule : g.rules()) {
        if (PolicyRules.allows(rule, request)) {
          return Decision.allow("RBAC: allowed by " + g.binding() + " of " + g.role() + " to " + user.name());
        }
      }
    }
    return Decision.noOpinion("");
  }

  /** The rules {@code user} holds in {@code namespace} (cluster-wide ones included), for rules reviews and escalation checks. */
  public List<PolicyRule> rulesFor(UserInfo user, String namespace) {
    if (isSuperuser(user)) {
      return List.of(EscalationCheck.everything(), EscalationCheck.everyUrl());
    }
    return policy.grants(user, namespace).stream().flatMap(g -> g.rules().stream()).toList();
  }

  public static boolean isSuperuser(UserInfo user) {
    return user.groups().contains(SUPERUSER_GROUP);
  }
}
