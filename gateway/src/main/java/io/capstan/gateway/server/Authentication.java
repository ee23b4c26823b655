package io.capstan.gateway.server;

import io.capstan.gateway.errors.ApiException;
import io.capstan.gateway.errors.ApiStatus;
import io.capstan.gateway.security.ClientCertificateAuthenticator;
import io.capstan.gateway.security.Impersonation;
import io.capstan.gateway.security.TokenAuthenticator;
import io.capstan.gateway.security.UserInfo;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Authentication in front of every route, as kube-apiserver's union authenticator: the client
 * certificate of the TLS connection first, then the bearer token (static tokens, then
 * ServiceAccount tokens); the first that knows the request decides. Anonymous requests get 401
 * except on the probes and {@code /version}, which load balancers and kubectl call before they
 * have a credential. Then the Impersonate-* headers, when sent and allowed ({@link Impersonation}),
 * replace the user. The user is stored in the routing context under {@link #USER}.
 */
final class Authentication implements Handler<RoutingContext> {
  static final String USER = "capstan.user";
  static final Set<String> PUBLIC_PATHS = Set.of("/healthz", "/readyz", "/livez", "/version");
  /** Who requests are from with --insecure-http, where there is no credential to check. */
  static final UserInfo INSECURE_USER = new UserInfo("system:insecure", "", java.util.List.of("system:masters",
      UserInfo.AUTHENTICATED));
  /** Who a request without credentials is (it gets 401 unless on a public path). */
  static final UserInfo ANONYMOUS = new UserInfo("system:anonymous", "", List.of("system:unauthenticated"));

  private final ClientCertificateAuthenticator certificates;
  private final List<TokenAuthenticator> tokens;
  private final Impersonation impersonation;
  private final io.capstan.gateway.store.AccessLog access;

  /**
   * @param certificates null without TLS
   * @param tokens null with --insecure-http: every request is {@link #INSECURE_USER}
   * @param impersonation checks and applies the Impersonate-* headers
   */
  Authentication(ClientCertificateAuthenticator certificates, List<TokenAuthenticator> tokens,
      Impersonation impersonation, io.capstan.gateway.store.AccessLog access) {
    this.access = access;
    this.certificates = certificates;
    this.tokens = tokens == null ? null : List.copyOf(tokens);
    this.impersonation = impersonation;
  }

  @Override
  public void handle(RoutingContext ctx) {
    Optional<UserInfo> user = tokens == null ? Optional.of(INSECURE_USER) : authenticate(ctx.request());
    if (user.isPresent()) {
      try {
        UserInfo actingAs = impersonated(ctx.request(), user.get());
        if (actingAs != user.get()) {
          ctx.put(AccessRecords.IMPERSONATOR, user.get());
        }
        ctx.put(USER, actingAs);
      } catch (ApiException e) {
        access.record(AccessRecords.refused(ctx, user.get(), null, e.status().code(), e.status().message()));
        Responses.status(ctx, e.status());
        return;
      }
      ctx.next();
    } else if (PUBLIC_PATHS.contains(ctx.request().path())) {
      ctx.next();
    } else {
      access.record(AccessRecords.unauthenticated(ctx, ctx.request().getHeader("Authorization") != null
          ? "the credentials were not accepted" : "no credentials"));
      Responses.status(ctx, ApiStatus.unauthorized());
    }
  }

  /** The user a request acts as: {@code user}, or whom its Impersonate-* headers name (then removed). */
  private UserInfo impersonated(HttpServerRequest request, UserInfo user) {
    MultiMap headers = request.headers();
    boolean asks = false;
    for (String name : headers.names()) {
      if (name.regionMatches(true, 0, "Impersonate-", 0, 12)) {
        asks = true;
        break;
      }
    }
    if (!asks) {
      return user;
    }
    UserInfo as = impersonation.actAs(user, Impersonation.read(headers::getAll, List.copyOf(headers.names())));
    List.copyOf(headers.names()).stream().filter(n -> n.regionMatches(true, 0, "Impersonate-", 0, 12))
        .forEach(headers::remove);
    return as;
  }

  private Optional<UserInfo> authenticate(HttpServerRequest request) {
    if (certificates != null && request.isSSL()) {
      Optional<UserInfo> user = certificates.authenticate(request.connection().sslSession());
      if (user.isPresent()) {
        return user;
      }
    }
    Optional<String> token = TokenAuthenticator.bearer(request.getHeader("Authorization"));
    if (token.isEmpty()) {
      return Optional.empty();
    }
    for (TokenAuthenticator t : tokens) {
      Optional<UserInfo> user = t.authenticateToken(token.get());
      if (user.isPresent()) {
        return user;
      }
    }
    return Optional.empty();
  }
}
