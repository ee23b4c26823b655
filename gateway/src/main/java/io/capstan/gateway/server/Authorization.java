package io.capstan.gateway.server;

import io.capstan.gateway.errors.ApiStatus;
import io.capstan.gateway.security.Authorizer;
import io.capstan.gateway.security.HttpRequestAttributes;
import io.capstan.gateway.security.RequestAttributes;
import io.capstan.gateway.security.UserInfo;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * Authorization after authentication (and impersonation), before anything is read or written, as
 * kube-apiserver's WithAuthorization filter: the request's attributes ({@link
 * HttpRequestAttributes}) go to the {@link Authorizer}; unless it allows them the answer is 403,
 * worded as Kubernetes words it. A request that authentication let through without a user (the
 * probes and {@code /version}) is {@code system:anonymous} in {@code system:unauthenticated},
 * which the default role system:public-info-viewer allows those paths. The attributes are kept
 * in the routing context under {@link #ATTRIBUTES}.
 */
final class Authorization implements Handler<RoutingContext> {
  static final String ATTRIBUTES = "capstan.requestAttributes";


  private final Authorizer authorizer;
  private final io.capstan.gateway.store.AccessLog access;

  Authorization(Authorizer authorizer, io.capstan.gateway.store.AccessLog access) {
    this.authorizer = authorizer;
    this.access = access;
  }

  @Override
  public void handle(RoutingContext ctx) {
    UserInfo user = ctx.get(Authentication.USER);
    if (user == null) {
      user = Authentication.ANONYMOUS;
    }
    RequestAttributes a;
    try {
      a = HttpRequestAttributes.of(user, ctx.request().method().name(), ctx.request().path(),
          ctx.request()::getParam);
    } catch (IllegalArgumentException e) {
      // A bad escape in the path or the query: the client's error, before anything is decided.
      Responses.status(ctx, ApiStatus.badRequest(e.getMessage()));
      return;
    }
    ctx.put(ATTRIBUTES, a);
    Authorizer.Decision d = authorizer.authorize(a);
    if (d.allowed()) {
      if (AccessRecords.readsSecrets(a)) {
        access.record(AccessRecords.allowed(ctx, a)); // who read which Secrets is audited
      }
      ctx.next();
      return;
    }
    String why = HttpRequestAttributes.denial(a);
    if (d.verdict() == Authorizer.Decision.Verdict.DENY && !d.reason().isEmpty()) {
      why = why + ": " + d.reason();
    }
    access.record(AccessRecords.refused(ctx, user, a, 403, why));
    Responses.status(ctx, a.resourceRequest() ? ApiStatus.forbidden(a.apiGroup(), a.resource(), a.name(), why)
        : ApiStatus.forbidden("", "", "", why));
  }
}
