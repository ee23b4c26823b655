package io.capstan.gateway.security;

import java.util.Optional;

/**
 * Authenticates a bearer token (kube-apiserver's {@code authenticator.Token}): the user it
 * stands for, or empty when this authenticator does not know it. The gateway asks each in turn
 * (static tokens, then ServiceAccount tokens); the first that knows the token decides.
 */
@FunctionalInterface
public interface TokenAuthenticator {
  Optional<UserInfo> authenticateToken(String token);

  /** The token of an {@code Authorization: Bearer ...} header value; empty when absent or not Bearer. */
  static Optional<String> bearer(String authorizationHeader) {
    if (authorizationHeader == null) {
      return Optional.empty();
    }
    String h = authorizationHeader.strip();
    if (h.length() < 7 || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return Optional.empty();
    }
    String token = h.substring(7).strip();
    return token.isEmpty() ? Optional.empty() : Optional.of(token);
  }
}
