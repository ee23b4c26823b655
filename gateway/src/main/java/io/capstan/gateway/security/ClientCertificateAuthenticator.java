package io.capstan.gateway.security;

import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;

/**
 * Authenticates the client certificate a TLS connection presented, as kube-apiserver's X.509
 * authenticator: the subject's common name is the user, each organization a group, and
 * {@code system:authenticated} is added. The TLS layer has already checked the chain against the
 * cluster CA (the only CA the gateway trusts for clients), so a certificate of another CA never
 * gets this far; this class reads the identity and checks that the certificate is meant for
 * clients and is still valid now, on every request (a connection may outlive its certificate).
 *
 * <p>The identity is read once per TLS session and kept in the session itself, so requests on
 * a kept-alive connection cost a map lookup.
 */
public final class ClientCertificateAuthenticator {
  private static final String SESSION_KEY = "io.capstan.gateway.client-identity";
  private static final String CLIENT_AUTH_EKU = "1.3.6.1.5.5.7.3.2";
  private static final String ANY_EKU = "2.5.29.37.0";

  /** What a session's certificate says: its user and validity, or nobody. */
  private record Identity(UserInfo user, Instant notBefore, Instant notAfter) {
    static final Identity NONE = new Identity(null, Instant.MIN, Instant.MIN);
  }

  private final Clock clock;

  public ClientCertificateAuthenticator(Clock clock) {
    this.clock = clock;
  }

  /**
   * The user of the session's client certificate; empty for a connection without TLS or without
   * a certificate, and for a certificate that is expired, not yet valid, not for client
   * authentication or without a common name.
   */
  public Optional<UserInfo> authenticate(SSLSession session) {
    if (session == null) {
      return Optional.empty();
    }
    Identity identity = (Identity) session.getValue(SESSION_KEY);
    if (identity == null) {
      identity = identify(session);
      session.putValue(SESSION_KEY, identity);
    }
    if (identity.user() == null) {
      return Optional.empty();
    }
    Instant now = clock.instant();
    if (now.isBefore(identity.notBefore()) || now.isAfter(identity.notAfter())) {
      return Optional.empty();
    }
    return Optional.of(identity.user());
  }

  private static Identity identify(SSLSession session) {
    Certificate[] chain;
    try {
      chain = session.getPeerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      return Identity.NONE; // no certificate presented
    }
    if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf) || !forClients(leaf)) {
      return Identity.NONE;
    }
    UserInfo user = userOf(leaf);
    if (user.name().isEmpty()) {
      return Identity.NONE;
    }
    List<String> groups = new ArrayList<>(user.groups());
    if (!groups.contains(UserInfo.AUTHENTICATED)) {
      groups.add(UserInfo.AUTHENTICATED);
    }
    return new Identity(new UserInfo(user.name(), "", groups), leaf.getNotBefore().toInstant(),
        leaf.getNotAfter().toInstant());
  }

  /** As Go's x509 verification: no extended key usage means any; else client auth (or any) must be listed. */
  private static boolean forClients(X509Certificate cert) {
    try {
      List<String> eku = cert.getExtendedKeyUsage();
      return eku == null || eku.contains(CLIENT_AUTH_EKU) || eku.contains(ANY_EKU);
    } catch (CertificateParsingException e) {
      return false;
    }
  }

  /**
   * The user a certificate names: its subject's common name and organizations (groups), without
   * the {@code system:authenticated} every authenticated user also gets.
   */
  public static UserInfo userOf(X509Certificate cert) {
    X500Name subject = X500Name.getInstance(cert.getSubjectX500Principal().getEncoded());
    List<String> cn = values(subject, BCStyle.CN);
    return new UserInfo(cn.isEmpty() ? "" : cn.get(0), "", values(subject, BCStyle.O));
  }

  private static List<String> values(X500Name name, org.bouncycastle.asn1.ASN1ObjectIdentifier type) {
    List<String> out = new ArrayList<>();
    for (RDN rdn : name.getRDNs()) {
      for (AttributeTypeAndValue atv : rdn.getTypesAndValues()) {
        if (atv.getType().equals(type)) {
          ASN1Encodable v = atv.getValue();
          out.add(v instanceof ASN1String s ? s.getString() : v.toString());
        }
      }
    }
    return out;
  }
}
