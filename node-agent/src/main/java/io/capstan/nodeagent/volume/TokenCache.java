package io.capstan.nodeagent.volume;

import io.capstan.api.Pod;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The tokens a node's pods hold, as kubelet's token manager keeps them: one per pod, ServiceAccount,
 * audience and lifetime; asked for again once 80% of its lifetime has passed or it is 24 hours
 * old, whichever comes first; a token that could not be renewed is kept while it is still valid.
 */
public final class TokenCache {
  static final Duration MAX_AGE = Duration.ofHours(24);
  private final ServiceAccountTokenSource source;
  private final Clock clock;
  private final Map<String, ServiceAccountTokenSource.Token> tokens = new ConcurrentHashMap<>();

  public TokenCache(ServiceAccountTokenSource source, Clock clock) {
    this.source = source;
    this.clock = clock;
  }

  /** The pod's current token for this audience and lifetime, renewed when due. */
  public String token(Pod pod, String audience, long expirationSeconds) throws IOException {
    String key = pod.getMetadata().getUid() + "/" + pod.getSpec().getServiceAccountName() + "/"
        + (audience == null ? "" : audience) + "/" + expirationSeconds;
    ServiceAccountTokenSource.Token have = tokens.get(key);
    Instant now = clock.instant();
    if (have != null && !requiresRefresh(have, now)) {
      return have.token();
    }
    try {
      ServiceAccountTokenSource.Token fresh = source.request(pod, audience, expirationSeconds);
      tokens.put(key, fresh);
      return fresh.token();
    } catch (IOException e) {
      if (have != null && now.isBefore(have.expires())) {
        return have.token(); // kubelet keeps serving a valid token while the API does not answer
      }
      throw e;
    }
  }

  /** kubelet's requiresRefresh: past 80% of the lifetime, or older than 24 h. */
  static boolean requiresRefresh(ServiceAccountTokenSource.Token t, Instant now) {
    Duration ttl = Duration.between(t.issued(), t.expires());
    Instant due = t.issued().plus(ttl.multipliedBy(8).dividedBy(10));
    Instant maxAge = t.issued().plus(MAX_AGE);
    return !now.isBefore(due) || !now.isBefore(maxAge);
  }

  /** Forgets the tokens of a pod that left the node. */
  public void forget(String podUid) {
    tokens.keySet().removeIf(k -> k.startsWith(podUid + "/"));
  }
}
