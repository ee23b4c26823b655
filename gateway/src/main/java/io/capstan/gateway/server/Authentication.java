package io.capstan.gateway.server;

import io.capstan.gateway.errors.ApiStatus;
import io.capstan.gateway.security.BearerTokenAuthenticator;
import io.capstan.gateway.security.UserInfo;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;
import java.util.Set;

/**
 * Bearer-token authentication in front of every route. Anonymous requests get 401 except on the
 * probes and {@code /version}, which load balancers and kubectl call before they have a token.
 * The user is stored in the routing context under {@link #USER}.
 */
final class Authentication implements Handler<RoutingContext> {
  static final String USER = "capstan.user";
  static final Set<String> PUBLIC_PATHS = Set.of("/healthz", "/readyz", "/livez", "/version");
  /** Who requests are from with --insecure-http, where there is no token to check. */
  static final UserInfo INSECURE_USER = new UserInfo("system:insecure", "", java.util.List.of("system:masters",
      UserInfo.AUTHENTICATED));

  private final BearerTokenAuthenticator authenticator;

  Authentication(BearerTokenAuthenticator authenticator) {
    this.authenticator = authenticator;
  }

  @Override
  public void handle(RoutingContext ctx) {
    if (authenticator == null) {
      ctx.put(USER, INSECURE_USER);
      ctx.next();
      return;
    }
    Optional<UserInfo> user = authenticator.authenticate(ctx.request().getHeader("Authorization"));
    if (user.isPresent()) {
      ctx.put(USER, user.get());
      ctx.next();
    } else if (PUBLIC_PATHS.contains(ctx.request().path())) {
      ctx.next();
    } else {
      Responses.status(ctx, ApiStatus.unauthorized());
    }
  }
}
