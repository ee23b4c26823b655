package io.capstan.logschema.session;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * A component's certificate from the cluster CA (CN = identity, O = groups) and its private key:
 * what a command client opens its session with.
 *
 * @param identity the certificate's common name, the actor the component's commands carry
 * @param chain    the component's certificate first, then any intermediate up to (not including) the CA
 * @param key      the private key of the first certificate
 */
public record ComponentCredentials(String identity, List<X509Certificate> chain, PrivateKey key) {
  public ComponentCredentials {
    if (identity == null || identity.isBlank()) {
      throw new IllegalArgumentException("component credentials: identity is required");
    }
    if (chain == null || chain.isEmpty()) {
      throw new IllegalArgumentException("component credentials of " + identity + ": a certificate is required");
    }
    if (key == null) {
      throw new IllegalArgumentException("component credentials of " + identity + ": the private key is required");
    }
    chain = List.copyOf(chain);
  }
}
