package io.capstan.gateway.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Authenticates {@code Authorization: Bearer <token>} against a token file. Tokens are kept
 * only as SHA-256 digests and looked up by digest, so neither a heap dump nor response timing
 * gives a token away.
 */
public final class BearerTokenAuthenticator implements TokenAuthenticator {
  private final Map<String, UserInfo> byDigest = new HashMap<>();

  public BearerTokenAuthenticator(List<TokenFile.Entry> entries) {
    for (TokenFile.Entry e : entries) {
      List<String> groups = new ArrayList<>(e.user().groups());
      if (!groups.contains(UserInfo.AUTHENTICATED)) {
        groups.add(UserInfo.AUTHENTICATED);
      }
      byDigest.put(digest(e.token()), new UserInfo(e.user().name(), e.user().uid(), groups));
    }
  }

  /** The user of an Authorization header value; empty when absent, not Bearer, or unknown. */
  public Optional<UserInfo> authenticate(String authorizationHeader) {
    return TokenAuthenticator.bearer(authorizationHeader).flatMap(this::authenticateToken);
  }

  @Override
  public Optional<UserInfo> authenticateToken(String token) {
    return Optional.ofNullable(byDigest.get(digest(token)));
  }

  private static String digest(String token) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}
