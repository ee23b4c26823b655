package io.capstan.gateway.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.api.PolicyRule;
import io.capstan.gateway.errors.ApiException;
import io.capstan.gateway.errors.ApiStatus;
import io.capstan.gateway.protobuf.KubernetesProtobuf;
import io.capstan.gateway.security.Authorizer;
import io.capstan.gateway.security.RequestAttributes;
import io.capstan.gateway.security.UserInfo;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.validation.FieldError;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.BiFunction;

/**
 * The access reviews of {@code authorization.k8s.io/v1}, answered from the authorizer and never
 * stored (create-only, as in Kubernetes): SubjectAccessReview (may this user do this?),
 * LocalSubjectAccessReview (the same, in the namespace of the URL), SelfSubjectAccessReview (may
 * I? — {@code kubectl auth can-i}) and SelfSubjectRulesReview (what may I do in this namespace? —
 * {@code kubectl auth can-i --list}).
 */
final class AccessReviews implements Handler<RoutingContext> {
  static final String GROUP = "authorization.k8s.io";
  static final String PATH = "/apis/" + GROUP + "/v1/*";
  /** The reviews: resource, kind, namespaced. */
  static final List<String[]> RESOURCES = List.of(
      new String[] {"subjectaccessreviews", "SubjectAccessReview", "false"},
      new String[] {"localsubjectaccessreviews", "LocalSubjectAccessReview", "true"},
      new String[] {"selfsubjectaccessreviews", "SelfSubjectAccessReview", "false"},
      new String[] {"selfsubjectrulesreviews", "SelfSubjectRulesReview", "false"});

  private static final KubernetesProtobuf PROTOBUF = KubernetesProtobuf.standard();

  private final Authorizer authorizer;
  /** The rules a user holds in a namespace (null when the authorizer cannot list rules). */
  private final BiFunction<UserInfo, String, List<PolicyRule>> rules;

  AccessReviews(Authorizer authorizer, BiFunction<UserInfo, String, List<PolicyRule>> rules) {
    this.authorizer = authorizer;
    this.rules = rules;
  }

  @Override
  public void handle(RoutingContext ctx) {
    ResourcePath path = ResourcePath.parse(ctx.request().path());
    if (path == null || path.resource() == null || !"v1".equals(path.version()) || path.name() != null) {
      ctx.next(); // discovery of the group, or not a review: the resource handler answers
      return;
    }
    String[] review = RESOURCES.stream().filter(r -> r[0].equals(path.resource())).findFirst().orElse(null);
    if (review == null || (path.namespace() != null) != Boolean.parseBoolean(review[2])) {
      ctx.next();
      return;
    }
    try {
      if (ctx.request().method() != HttpMethod.POST) {
        throw new ApiException(ApiStatus.methodNotAllowed(ctx.request().method().name(), path.resource()));
      }
      ctx.put(RequestMetrics.RESOURCE, path.resource());
      ctx.put(RequestMetrics.VERB, "POST");
      if (ctx.body() == null || ctx.body().length() == 0) {
        throw new ApiException(ApiStatus.badRequest("the request has no body: a " + review[1] + " is required"));
      }
      String contentType = ctx.request().getHeader("Content-Type");
      JsonNode body = contentType != null && contentType.startsWith(KubernetesProtobuf.MEDIA_TYPE)
          ? PROTOBUF.decode(ctx.body().buffer().getBytes(), GROUP + "/v1", review[1]).object()
          : KubeJson.parse(ctx.body().asString());
      if (!body.isObject()) {
        throw new ApiException(ApiStatus.badRequest("the body must be a " + review[1] + " object"));
      }
      UserInfo me = ctx.get(Authentication.USER);
      if (me == null) {
        me = Authentication.ANONYMOUS;
      }
      ObjectNode answer = ((ObjectNode) body).deepCopy();
      answer.put("apiVersion", GROUP + "/v1");
      answer.put("kind", review[1]);
      if (!answer.path("metadata").isObject()) {
        answer.putObject("metadata");
      }
      ObjectNode spec = answer.path("spec").isObject() ? (ObjectNode) answer.get("spec") : answer.putObject("spec");
      ObjectNode status = answer.putObject("status");
      if (review[1].equals("SelfSubjectRulesReview")) {
        rulesReview(me, spec, status);
      } else {
        UserInfo subject = review[1].equals("SelfSubjectAccessReview") ? me : subject(review[1], spec);
        accessReview(review[1], subject, spec, path.namespace(), status);
      }
      Responses.json(ctx, 201, answer);
    } catch (Throwable e) {
      Responses.error(ctx, e);
    }
  }

  private void accessReview(String kind, UserInfo subject, ObjectNode spec, String urlNamespace, ObjectNode status) {
    JsonNode ra = spec.path("resourceAttributes");
    JsonNode nra = spec.path("nonResourceAttributes");
    if (ra.isObject() == nra.isObject()) {
      throw invalid(kind, ra.isObject() ? "spec.resourceAttributes"
          : "spec.resourceAttributes", ra.isObject()
          ? "resourceAttributes and nonResourceAttributes are mutually exclusive"
          : "exactly one of nonResourceAttributes or resourceAttributes must be specified");
    }
    RequestAttributes a;
    if (ra.isObject()) {
      String ns = ra.path("namespace").asText("");
      if (urlNamespace != null && !urlNamespace.equals(ns)) {
        throw invalid(kind, "spec.resourceAttributes.namespace", "must match metadata.namespace");
      }
      a = RequestAttributes.resource(subject, ra.path("verb").asText("").toLowerCase(Locale.ROOT),
          ra.path("group").asText(""), ra.path("resource").asText(""), ra.path("subresource").asText(""), ns,
          ra.path("name").asText(""));
    } else {
      a = RequestAttributes.nonResource(subject, nra.path("verb").asText("").toLowerCase(Locale.ROOT),
          nra.path("path").asText(""));
    }
    Authorizer.Decision d = authorizer.authorize(a);
    status.put("allowed", d.allowed());
    if (d.verdict() == Authorizer.Decision.Verdict.DENY) {
      status.put("denied", true);
    }
    if (!d.reason().isEmpty()) {
      status.put("reason", d.reason());
    }
  }

  /** The user a SubjectAccessReview asks about: spec.user and spec.groups (at least one of them). */
  private static UserInfo subject(String kind, ObjectNode spec) {
    String user = spec.path("user").asText("");
    List<String> groups = new ArrayList<>();
    spec.path("groups").forEach(g -> groups.add(g.asText()));
    if (user.isEmpty() && groups.isEmpty()) {
      throw invalid(kind, "spec.user", "at least one of user or group must be specified");
    }
    return new UserInfo(user, spec.path("uid").asText(""), groups);
  }

  private void rulesReview(UserInfo me, ObjectNode spec, ObjectNode status) {
    String ns = spec.path("namespace").asText("");
    ArrayNode resourceRules = status.putArray("resourceRules");
    ArrayNode nonResourceRules = status.putArray("nonResourceRules");
    if (rules == null) {
      status.put("incomplete", true);
      status.put("evaluationError", "the authorizer in use cannot list rules");
      return;
    }
    for (PolicyRule r : rules.apply(me, ns)) {
      if (r.getNonResourceURLs() != null && !r.getNonResourceURLs().isEmpty()) {
        ObjectNode n = nonResourceRules.addObject();
        strings(n.putArray("verbs"), r.getVerbs());
        strings(n.putArray("nonResourceURLs"), r.getNonResourceURLs());
      } else {
        ObjectNode n = resourceRules.addObject();
        strings(n.putArray("verbs"), r.getVerbs());
        strings(n.putArray("apiGroups"), r.getApiGroups());
        strings(n.putArray("resources"), r.getResources());
        if (r.getResourceNames() != null && !r.getResourceNames().isEmpty()) {
          strings(n.putArray("resourceNames"), r.getResourceNames());
        }
      }
    }
    status.put("incomplete", false);
  }

  private static void strings(ArrayNode a, List<String> values) {
    if (values != null) {
      values.forEach(a::add);
    }
  }

  private static ApiException invalid(String kind, String field, String detail) {
    return new ApiException(ApiStatus.invalid(GROUP, kind, "", List.of(new FieldError(field, "FieldValueInvalid",
        "Invalid value: " + detail))));
  }
}
