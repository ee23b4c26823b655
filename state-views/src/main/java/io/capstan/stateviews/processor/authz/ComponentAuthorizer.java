package io.capstan.stateviews.processor.authz;

import io.capstan.log.Command;
import io.capstan.log.ErrorStatus;
import io.capstan.logschema.kinds.Kind;
import io.capstan.stateviews.processor.rules.StatusErrors;
import io.capstan.stateviews.rbac.PolicyRules;
import io.capstan.stateviews.rbac.RbacPolicy;
import java.util.Optional;
import org.apache.avro.generic.IndexedRecord;

/**
 * The processor's authorization of a component's command, as kube-apiserver authorizes the
 * component's request: RBAC first (the default roles bind {@code system:kube-scheduler},
 * {@code system:kube-controller-manager} and the group {@code system:nodes} to what they need),
 * then, for a node, NodeRestriction. A refusal is a 403 in kube's words. Commands of any other
 * actor are not this class's to judge (the gateway authorized them).
 */
public final class ComponentAuthorizer {
  private final RbacPolicy policy;

  public ComponentAuthorizer(RbacPolicy policy) {
    this.policy = policy;
  }

  /** Whether the processor judges this actor's commands (it is a component's identity). */
  public static boolean judges(String actor) {
    return ComponentIdentity.of(actor).isPresent();
  }

  /**
   * The 403 that refuses the command, or empty when it may be applied (or its actor is not a component).
   *
   * @param object the object the command carries (after a patch is rebased), or null
   * @param stored the object stored under its key, or null
   */
  public Optional<ErrorStatus> refusal(Command cmd, Kind kind, IndexedRecord object, IndexedRecord stored) {
    Optional<ComponentIdentity> found = ComponentIdentity.of(cmd.getActor());
    if (found.isEmpty()) {
      return Optional.empty();
    }
    ComponentIdentity who = found.get();
    CommandAttributes a = CommandAttributes.of(cmd, kind);
    boolean allowed = policy.allowing(who.user(), who.groups(), a.namespace(),
        rule -> PolicyRules.allowsResource(rule, a.verb(), a.apiGroup(), a.resource(), a.subresource(), a.name()))
        .isPresent();
    if (!allowed) {
      return Optional.of(StatusErrors.forbidden(kind, a.name(), a.denial(who.user())));
    }
    if (who.isNode()) {
      return NodeRestriction.refusal(who.nodeName(), cmd, kind, object, stored)
          .map(why -> StatusErrors.forbidden(kind, cmd.getName(), why));
    }
    return Optional.empty();
  }
}
