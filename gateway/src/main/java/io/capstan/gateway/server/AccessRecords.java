package io.capstan.gateway.server;

import io.capstan.gateway.security.RequestAttributes;
import io.capstan.gateway.security.UserInfo;
import io.capstan.log.Access;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Set;

/**
 * The access records the gateway keeps for audit ({@link io.capstan.gateway.store.AccessLog}):
 * every refusal by authentication (401) or authorization (403, impersonation included), and
 * every read of a Secret (get, list and watch of {@code secrets} in the core group), with who
 * asked, whom they impersonated, and from which address.
 */
final class AccessRecords {
  /** Set by {@link Authentication} when a request impersonates: the user who authenticated. */
  static final String IMPERSONATOR = "capstan.impersonator";
  private static final Set<String> READS = Set.of("get", "list", "watch");

  private AccessRecords() {}

  /** Whether an allowed request is a read of Secrets, which audit keeps. */
  static boolean readsSecrets(RequestAttributes a) {
    return a.resourceRequest() && a.apiGroup().isEmpty() && "secrets".equals(a.resource())
        && a.subresource().isEmpty() && READS.contains(a.verb());
  }

  /** A refusal before anyone was authenticated (401): the user is unknown. */
  static Access unauthenticated(RoutingContext ctx, String reason) {
    return base(ctx, null).setVerb(ctx.request().method().name().toLowerCase(java.util.Locale.ROOT))
        .setPath(ctx.request().path()).setDecision("deny").setCode(401).setReason(reason).build();
  }

  /** A refusal of {@code user}'s request, described by {@code a} when known (else by its path). */
  static Access refused(RoutingContext ctx, UserInfo user, RequestAttributes a, int code, String reason) {
    Access.Builder b = a == null
        ? base(ctx, user).setVerb(ctx.request().method().name().toLowerCase(java.util.Locale.ROOT)).setPath(ctx.request().path())
        : described(base(ctx, user), a);
    return b.setDecision("deny").setCode(code).setReason(reason == null ? "" : reason).build();
  }

  /** An allowed request (a read of Secrets). */
  static Access allowed(RoutingContext ctx, RequestAttributes a) {
    return described(base(ctx, a.user()), a).setDecision("allow").setCode(200).build();
  }

  private static Access.Builder described(Access.Builder b, RequestAttributes a) {
    return b.setVerb(a.verb()).setApiGroup(a.apiGroup()).setResource(a.resource()).setSubresource(a.subresource())
        .setNamespace(a.namespace()).setName(a.name()).setPath(a.resourceRequest() ? "" : a.path());
  }

  private static Access.Builder base(RoutingContext ctx, UserInfo user) {
    UserInfo impersonator = ctx.get(IMPERSONATOR);
    SocketAddress from = ctx.request().remoteAddress();
    String agent = ctx.request().getHeader("User-Agent");
    return Access.newBuilder()
        .setTimeMicros(System.currentTimeMillis() * 1000)
        .setUser(user == null ? "" : user.name())
        .setGroups(user == null ? List.of() : List.copyOf(user.groups()))
        .setImpersonator(impersonator == null ? "" : impersonator.name())
        .setSourceAddress(from == null ? "" : from.hostAddress() == null ? from.toString() : from.hostAddress())
        .setUserAgent(agent == null ? "" : agent);
  }
}
