package io.capstan.gateway.security;

/**
 * Decides whether a user may do what a request asks ({@link RequestAttributes}). The gateway asks
 * after authentication (and impersonation) and before anything else happens; implementations
 * answer from memory (informers), never with a round trip to Kafka.
 */
@FunctionalInterface
public interface Authorizer {
  Decision authorize(RequestAttributes request);

  /** Allows everything: the gateway's authorizer when authorization is switched off. */
  Authorizer ALLOW_ALL = request -> Decision.allow("authorization is off");

  /**
   * An answer and why, as kube-apiserver's authorizers give it. {@code NO_OPINION} lets the next
   * authorizer in a chain decide; a request nobody allows is denied.
   */
  record Decision(Verdict verdict, String reason) {
    public enum Verdict { ALLOW, DENY, NO_OPINION }

    public static Decision allow(String reason) {
      return new Decision(Verdict.ALLOW, reason);
    }

    public static Decision deny(String reason) {
      return new Decision(Verdict.DENY, reason);
    }

    public static Decision noOpinion(String reason) {
      return new Decision(Verdict.NO_OPINION, reason);
    }

    public boolean allowed() {
      return verdict == Verdict.ALLOW;
    }
  }
}
