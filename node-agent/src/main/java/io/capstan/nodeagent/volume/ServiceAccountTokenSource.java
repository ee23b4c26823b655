package io.capstan.nodeagent.volume;

import io.capstan.api.Pod;
import java.io.IOException;
import java.time.Instant;

/**
 * Where a node gets the ServiceAccount tokens of its pods' {@code serviceAccountToken} projections:
 * kubelet asks the API's TokenRequest subresource, bound to the pod ({@link ApiTokenRequests}).
 */
@FunctionalInterface
public interface ServiceAccountTokenSource {
  /** A token and its lifetime as the API stated it. */
  record Token(String token, Instant issued, Instant expires) {}

  /**
   * A token of the pod's ServiceAccount, bound to the pod.
   *
   * @param audience          the token's audience; null or empty: the API's
   * @param expirationSeconds the lifetime to ask for
   */
  Token request(Pod pod, String audience, long expirationSeconds) throws IOException;

  /** A node without API access: projections of tokens fail with this message. */
  ServiceAccountTokenSource NONE = (pod, audience, seconds) -> {
    throw new IOException("this node agent has no API access to request ServiceAccount tokens"
        + " (start it with --api-server and a node client certificate)");
  };

  /**
   * For hollow (simulated) nodes: no container ever reads the file, so no token is asked for (a
   * fleet of thousands of nodes would measure the token endpoint, not the nodes); the file holds
   * a placeholder that is not a token.
   */
  ServiceAccountTokenSource HOLLOW = (pod, audience, seconds) -> {
    Instant now = Instant.now();
    return new Token("hollow-node-placeholder", now, now.plusSeconds(seconds));
  };
}
