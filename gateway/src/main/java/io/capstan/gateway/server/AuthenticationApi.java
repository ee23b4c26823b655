package io.capstan.gateway.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.gateway.errors.ApiException;
import io.capstan.gateway.errors.ApiStatus;
import io.capstan.gateway.protobuf.KubernetesProtobuf;
import io.capstan.gateway.security.ServiceAccountTokens;
import io.capstan.gateway.security.TokenAuthenticator;
import io.capstan.gateway.security.UserInfo;
import io.capstan.gateway.store.ResourceStore;
import io.capstan.gateway.store.StoredObject;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.validation.FieldError;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.generic.IndexedRecord;

/**
 * The authentication API, none of it stored: the TokenRequest subresource
 * ({@code POST /api/v1/namespaces/NS/serviceaccounts/NAME/token}, what {@code kubectl create token}
 * calls), TokenReview and SelfSubjectReview ({@code POST
 * /apis/authentication.k8s.io/v1/tokenreviews}, {@code .../selfsubjectreviews}, what
 * {@code kubectl auth whoami} calls). Bodies are JSON or Kubernetes protobuf; answers are 201 with
 * the object and its status filled in, as kube-apiserver's.
 */
final class AuthenticationApi {
  static final String GROUP = "authentication.k8s.io";
  static final String API_VERSION = GROUP + "/v1";
  static final String TOKEN_PATH = "^/api/v1/namespaces/([^/]+)/serviceaccounts/([^/]+)/token$";
  static final String TOKEN_REVIEWS = "/apis/" + API_VERSION + "/tokenreviews";
  static final String SELF_SUBJECT_REVIEWS = "/apis/" + API_VERSION + "/selfsubjectreviews";
  /** TokenRequest's upper bound on expirationSeconds, as its validation: 2^32 seconds. */
  private static final long MAX_EXPIRATION_SECONDS = 1L << 32;
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final KubernetesProtobuf PROTOBUF = KubernetesProtobuf.standard();

  private final ResourceStore store;
  private final ServiceAccountTokens tokens;
  private final List<TokenAuthenticator> otherTokens;
  private final Clock clock;

  /**
   * @param otherTokens the token authenticators besides ServiceAccount tokens (static tokens),
   *                    which TokenReview answers for too
   */
  AuthenticationApi(ResourceStore store, ServiceAccountTokens tokens, List<TokenAuthenticator> otherTokens,
      Clock clock) {
    this.store = store;
    this.tokens = tokens;
    this.otherTokens = List.copyOf(otherTokens);
    this.clock = clock;
  }

  // ---- TokenRequest ----

  /** {@code POST serviceaccounts/NAME/token}. */
  void tokenRequest(RoutingContext ctx) {
    try {
      ctx.put(RequestMetrics.RESOURCE, "serviceaccounts");
      ctx.put(RequestMetrics.VERB, "POST");
      String namespace = ctx.pathParam("param0");
      String name = ctx.pathParam("param1");
      ObjectNode body = body(ctx, "TokenRequest");
      JsonNode spec = body.path("spec");
      List<String> audiences = strings(spec.path("audiences"));
      long seconds = spec.path("expirationSeconds").isNumber() ? spec.path("expirationSeconds").asLong()
          : ServiceAccountTokens.DEFAULT_LIFETIME.toSeconds();
      if (seconds < ServiceAccountTokens.MIN_LIFETIME.toSeconds()) {
        throw invalid(name, "spec.expirationSeconds", seconds, "may not specify a duration less than 10 minutes");
      }
      if (seconds > MAX_EXPIRATION_SECONDS) {
        throw invalid(name, "spec.expirationSeconds", seconds, "may not specify a duration larger than 2^32 seconds");
      }
      JsonNode ref = spec.path("boundObjectRef");
      String boundKind = ref.path("kind").asText("");
      String boundName = ref.path("name").asText("");
      String boundUid = ref.path("uid").asText("");
      if (!ref.isMissingNode() && !ref.isNull()) {
        if (!boundKind.equals("Pod") && !boundKind.equals("Secret")) {
          throw new ApiException(ApiStatus.badRequest("cannot bind token for serviceaccount \"" + name
              + "\" to object of kind \"" + boundKind + "\": only Pod and Secret are supported"));
        }
        if (boundName.isEmpty()) {
          throw invalid(name, "spec.boundObjectRef.name", "", "Required value");
        }
      }
      // NodeRestriction: a node asks only for tokens bound to a pod (with its uid) scheduled on it.
      UserInfo requester = ctx.get(Authentication.USER);
      String node = nodeOf(requester);
      if (node != null) {
        if (!boundKind.equals("Pod") || boundName.isEmpty()) {
          throw nodeForbidden(name, "node requested token not bound to a pod");
        }
        if (boundUid.isEmpty()) {
          throw nodeForbidden(name, "node requested token with a pod binding without a uid");
        }
      }
      var context = ctx.vertx().getOrCreateContext();
      Future.fromCompletionStage(store.get(Kinds.SERVICE_ACCOUNT, namespace, name), context).compose(sa -> {
        String saUid = meta(sa).getUid();
        if (boundKind.isEmpty()) {
          return Future.succeededFuture(answer(body, namespace, name, saUid, audiences, seconds, null));
        }
        Kind kind = boundKind.equals("Pod") ? Kinds.POD : Kinds.SECRET;
        return Future.fromCompletionStage(store.get(kind, namespace, boundName), context).map(bound -> {
          String uid = meta(bound).getUid();
          if (!boundUid.isEmpty() && !boundUid.equals(uid)) {
            throw new ApiException(ApiStatus.conflict("", kind.plural(), boundName, "the UID in the bound object "
                + "reference (" + boundUid + ") does not match the UID in record. The object might have been "
                + "deleted and then recreated"));
          }
          if (node != null && bound.object() instanceof Pod pod && !node.equals(pod.getSpec() == null ? null
              : pod.getSpec().getNodeName())) {
            throw nodeForbidden(name, "node requested token bound to a pod scheduled on a different node");
          }
          if (bound.object() instanceof Pod pod) {
            String podSa = pod.getSpec() == null || pod.getSpec().getServiceAccountName() == null
                || pod.getSpec().getServiceAccountName().isEmpty() ? "default" : pod.getSpec().getServiceAccountName();
            if (!podSa.equals(name)) {
              throw new ApiException(ApiStatus.badRequest("cannot bind token for serviceaccount \"" + name
                  + "\" to pod running with different serviceaccount name."));
            }
          }
          return answer(body, namespace, name, saUid, audiences, seconds,
              new ServiceAccountTokens.BoundObject(boundKind, boundName, uid));
        });
      }).onSuccess(answer -> Responses.json(ctx, 201, answer)).onFailure(e -> Responses.error(ctx, e));
    } catch (Throwable e) {
      Responses.error(ctx, e);
    }
  }

  private ObjectNode answer(ObjectNode request, String namespace, String name, String saUid, List<String> audiences,
      long seconds, ServiceAccountTokens.BoundObject bound) {
    ServiceAccountTokens.Issued issued = tokens.issue(namespace, name, saUid, audiences, Duration.ofSeconds(seconds),
        bound);
    ObjectNode out = NODES.objectNode();
    out.put("kind", "TokenRequest").put("apiVersion", API_VERSION);
    out.putObject("metadata").put("name", name).put("namespace", namespace)
        .put("creationTimestamp", clock.instant().truncatedTo(ChronoUnit.SECONDS).toString());
    ObjectNode spec = out.putObject("spec");
    var aud = spec.putArray("audiences");
    (audiences.isEmpty() ? ServiceAccountTokens.API_AUDIENCES : audiences).forEach(aud::add);
    spec.put("expirationSeconds", seconds);
    if (bound != null) {
      // the reference as resolved, uid included
      spec.putObject("boundObjectRef").put("kind", bound.kind()).put("apiVersion", "v1").put("name", bound.name())
          .put("uid", bound.uid());
    }
    out.putObject("status").put("token", issued.token()).put("expirationTimestamp", issued.expires().toString());
    return out;
  }

  /** The node a request comes from (user {@code system:node:NAME} in group {@code system:nodes}), or null. */
  static String nodeOf(UserInfo user) {
    if (user == null || !user.groups().contains("system:nodes") || !user.name().startsWith("system:node:")) {
      return null;
    }
    return user.name().substring("system:node:".length());
  }

  private static ApiException nodeForbidden(String serviceAccount, String why) {
    return new ApiException(ApiStatus.forbidden("", "serviceaccounts", serviceAccount, why));
  }

  // ---- TokenReview ----

  /** {@code POST tokenreviews}: who a token is, for the audiences asked (the API's when none). */
  void tokenReview(RoutingContext ctx) {
    try {
      ctx.put(RequestMetrics.RESOURCE, "tokenreviews");
      ctx.put(RequestMetrics.VERB, "POST");
      ObjectNode body = body(ctx, "TokenReview");
      String token = body.path("spec").path("token").asText("");
      if (token.isEmpty()) {
        throw new ApiException(ApiStatus.badRequest("token is required for TokenReview in authentication"));
      }
      List<String> audiences = strings(body.path("spec").path("audiences"));
      ObjectNode status = NODES.objectNode();
      ServiceAccountTokens.Result result = tokens.check(token, audiences);
      if (result instanceof ServiceAccountTokens.Result.Valid v) {
        status.put("authenticated", true).set("user", user(v.user()));
        v.audiences().forEach(status.putArray("audiences")::add);
      } else if (result instanceof ServiceAccountTokens.Result.Invalid i) {
        status.put("authenticated", false).put("error", i.reason());
      } else {
        Optional<UserInfo> user = Optional.empty();
        for (TokenAuthenticator t : otherTokens) {
          user = t.authenticateToken(token);
          if (user.isPresent()) {
            break;
          }
        }
        if (user.isPresent()) {
          status.put("authenticated", true).set("user", user(user.get()));
          (audiences.isEmpty() ? ServiceAccountTokens.API_AUDIENCES : audiences).forEach(
              status.putArray("audiences")::add);
        } else {
          status.put("authenticated", false).put("error", "invalid bearer token");
        }
      }
      Responses.json(ctx, 201, review(body, "TokenReview", status));
    } catch (Throwable e) {
      Responses.error(ctx, e);
    }
  }

  // ---- SelfSubjectReview ----

  /** {@code POST selfsubjectreviews}: the requesting user, after impersonation. */
  void selfSubjectReview(RoutingContext ctx) {
    try {
      ctx.put(RequestMetrics.RESOURCE, "selfsubjectreviews");
      ctx.put(RequestMetrics.VERB, "POST");
      ObjectNode body = ctx.body() == null || ctx.body().length() == 0 ? NODES.objectNode()
          : body(ctx, "SelfSubjectReview");
      UserInfo user = ctx.get(Authentication.USER);
      ObjectNode status = NODES.objectNode();
      status.set("userInfo", user(user == null ? Authentication.ANONYMOUS : user));
      Responses.json(ctx, 201, review(body, "SelfSubjectReview", status));
    } catch (Throwable e) {
      Responses.error(ctx, e);
    }
  }

  private ObjectNode review(ObjectNode request, String kind, ObjectNode status) {
    ObjectNode out = NODES.objectNode();
    out.put("kind", kind).put("apiVersion", API_VERSION);
    ObjectNode meta = out.putObject("metadata");
    meta.put("creationTimestamp", clock.instant().truncatedTo(ChronoUnit.SECONDS).toString());
    if (request.path("metadata").hasNonNull("name")) {
      meta.put("name", request.path("metadata").path("name").asText());
    }
    if (request.has("spec")) {
      out.set("spec", request.path("spec"));
    }
    out.set("status", status);
    return out;
  }

  /** authentication.k8s.io/v1 UserInfo. */
  static ObjectNode user(UserInfo user) {
    ObjectNode u = NODES.objectNode();
    u.put("username", user.name());
    if (user.uid() != null && !user.uid().isEmpty()) {
      u.put("uid", user.uid());
    }
    var groups = u.putArray("groups");
    user.groups().forEach(groups::add);
    if (!user.extra().isEmpty()) {
      ObjectNode extra = u.putObject("extra");
      for (Map.Entry<String, List<String>> e : new java.util.TreeMap<>(user.extra()).entrySet()) {
        var values = extra.putArray(e.getKey());
        e.getValue().forEach(values::add);
      }
    }
    return u;
  }

  // ---- helpers ----

  /** The request body: JSON or Kubernetes protobuf holding an authentication.k8s.io/v1 {@code kind}. */
  private static ObjectNode body(RoutingContext ctx, String kind) {
    Buffer body = ctx.body() == null ? null : ctx.body().buffer();
    if (body == null || body.length() == 0) {
      throw new ApiException(ApiStatus.badRequest("the request body is empty"));
    }
    String contentType = ctx.request().getHeader("Content-Type");
    String bare = RequestMediaType.of(ctx.request());
    JsonNode json;
    if (bare.equals(KubernetesProtobuf.MEDIA_TYPE)) {
      json = PROTOBUF.decode(body.getBytes(), API_VERSION, kind).object();
    } else if (bare.equals("application/json") || bare.equals("application/yaml")) {
      json = KubeJson.parse(body.toString());
    } else {
      throw new ApiException(ApiStatus.unsupportedMediaType(contentType, ResourceHandler.BODY_TYPES));
    }
    if (!(json instanceof ObjectNode object)) {
      throw new ApiException(ApiStatus.badRequest("the request body must be a JSON object"));
    }
    String sentKind = object.path("kind").asText("");
    String sentVersion = object.path("apiVersion").asText("");
    if ((!sentKind.isEmpty() && !sentKind.equals(kind)) || (!sentVersion.isEmpty() && !sentVersion.equals(API_VERSION))) {
      throw new ApiException(ApiStatus.badRequest("the body must be a " + API_VERSION + " " + kind + ", not "
          + sentVersion + " " + sentKind));
    }
    return object;
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  private static ApiException invalid(String name, String field, Object value, String detail) {
    return new ApiException(ApiStatus.invalid(GROUP, "TokenRequest", name, List.of(new FieldError(field,
        "FieldValueInvalid", "Invalid value: " + (value instanceof String s ? "\"" + s + "\"" : value) + ": " + detail))));
  }

  private static ObjectMeta meta(StoredObject s) {
    IndexedRecord r = s.object();
    return (ObjectMeta) r.get(r.getSchema().getField("metadata").pos());
  }
}
