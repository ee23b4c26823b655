package io.capstan.gateway.security.rbac;

import io.capstan.api.PolicyRule;
import io.capstan.gateway.cache.WatchCache;
import io.capstan.gateway.security.Authorizer;
import io.capstan.gateway.security.RequestAttributes;
import io.capstan.gateway.security.UserInfo;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.ResourceEventHandler;
import io.capstan.stateviews.rbac.PolicyRules;
import io.capstan.stateviews.rbac.RbacPolicy;
import java.util.List;
import java.util.Optional;
import org.apache.avro.generic.IndexedRecord;

/**
 * Kubernetes' RBAC authorizer over an {@link RbacPolicy}, behind the superuser group: members of
 * {@code system:masters} may do anything (kube-apiserver's privileged group), everyone else what
 * a rule of one of their bindings allows. Nothing allowed is {@code NO_OPINION}, which the
 * gateway treats as a denial, as kube-apiserver does at the end of its authorizer chain.
 */
public final class RbacAuthorizer implements Authorizer {
  public static final String SUPERUSER_GROUP = "system:masters";

  /**
   * Decisions kept per policy version: a request is a pure function of the user's name and
   * groups, its attributes and the policy, and clients repeat the same few requests (a
   * controller's gets, a kubectl's lists), so most decisions are one hash lookup instead of a scan
   * of every rule of every grant. Bounded: emptied when full.
   */
  static final int KEPT_DECISIONS = 16_384;

  private final RbacPolicy policy;
  private volatile Decisions decisions = new Decisions(null);

  /** The decisions made under one version of the policy. */
  private record Decisions(Object version, java.util.concurrent.ConcurrentHashMap<Question, Decision> made) {
    Decisions(Object version) {
      this(version, new java.util.concurrent.ConcurrentHashMap<>());
    }
  }

  /** What a decision depends on besides the policy. */
  private record Question(String user, List<String> groups, String verb, boolean resourceRequest, String apiGroup,
      String resource, String subresource, String namespace, String name, String path) {
    static Question of(RequestAttributes a) {
      return new Question(a.user().name(), a.user().groups(), a.verb(), a.resourceRequest(), a.apiGroup(),
          a.resource(), a.subresource(), a.namespace(), a.name(), a.path());
    }
  }

  public RbacAuthorizer(RbacPolicy policy) {
    this.policy = policy;
  }

  /** A policy that follows the RBAC tables of a watch cache (loaded with what they hold now). */
  public static RbacPolicy following(WatchCache cache) {
    RbacPolicy policy = new RbacPolicy();
    ResourceEventHandler<IndexedRecord> handler = new ResourceEventHandler<>() {
      @Override
      public void onAdd(IndexedRecord object) {
        policy.put(object);
      }

      @Override
      public void onUpdate(IndexedRecord oldObject, IndexedRecord newObject) {
        policy.put(newObject);
      }

      @Override
      public void onDelete(IndexedRecord lastKnown) {
        policy.remove(lastKnown);
      }
    };
    for (Kind k : List.of(Kinds.ROLE, Kinds.CLUSTER_ROLE, Kinds.ROLE_BINDING, Kinds.CLUSTER_ROLE_BINDING)) {
      cache.addHandler(k, handler);
    }
    return policy;
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
    Object version = policy.version();
    Decisions d = decisions;
    if (d.version() != version) {
      d = new Decisions(version);
      decisions = d;
    }
    Question q = Question.of(request);
    Decision known = d.made().get(q);
    if (known != null) {
      return known;
    }
    Decision decided = decide(request);
    if (d.made().size() >= KEPT_DECISIONS) {
      d.made().clear();
    }
    d.made().put(q, decided);
    return decided;
  }

  /** The decision from the policy's rules, as Kubernetes' RBAC authorizer makes it. */
  private Decision decide(RequestAttributes request) {
    UserInfo user = request.user();
    Optional<String> allowedBy = policy.allowing(user.name(), user.groups(), request.namespace(),
        rule -> allows(rule, request));
    return allowedBy.map(Decision::allow).orElseGet(() -> Decision.noOpinion(""));
  }

  /** Whether a rule allows a request (kube's {@code rbac.RuleAllows}). */
  public static boolean allows(PolicyRule rule, RequestAttributes a) {
    return a.resourceRequest()
        ? PolicyRules.allowsResource(rule, a.verb(), a.apiGroup(), a.resource(), a.subresource(), a.name())
        : PolicyRules.allowsPath(rule, a.verb(), a.path());
  }

  /** The rules {@code user} holds in {@code namespace} (cluster-wide ones included), for rules reviews and escalation checks. */
  public List<PolicyRule> rulesFor(UserInfo user, String namespace) {
    if (isSuperuser(user)) {
      return List.of(EscalationCheck.everything(), EscalationCheck.everyUrl());
    }
    return policy.grants(user.name(), user.groups(), namespace).stream().flatMap(g -> g.rules().stream()).toList();
  }

  public static boolean isSuperuser(UserInfo user) {
    return user.groups().contains(SUPERUSER_GROUP);
  }
}
