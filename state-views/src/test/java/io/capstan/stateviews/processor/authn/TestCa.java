package io.capstan.stateviews.processor.authn;

import io.capstan.logschema.session.ComponentCredentials;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A cluster CA for tests: ECDSA P-256, as the gateway's; issues components' certificates (CN = identity, O = groups). */
public final class TestCa {
  private static final SecureRandom RANDOM = new SecureRandom();
  private final KeyPair ca;
  private final X509Certificate caCert;

  public TestCa() {
    try {
      ca = newKeyPair();
      Instant now = Instant.now();
      X500Name name = new X500Name("CN=test-ca,O=capstan");
      JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, new BigInteger(64, RANDOM),
          Date.from(now.minusSeconds(300)), Date.from(now.plus(Duration.ofDays(1))), name, ca.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      caCert = new JcaX509CertificateConverter().getCertificate(
          b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(ca.getPrivate())));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public X509Certificate certificate() {
    return caCert;
  }

  public ComponentCredentials issue(String identity, List<String> groups) {
    try {
      KeyPair client = newKeyPair();
      X500NameBuilder subject = new X500NameBuilder(BCStyle.INSTANCE);
      for (String g : groups) {
        subject.addRDN(BCStyle.O, g);
      }
      subject.addRDN(BCStyle.CN, identity);
      Instant now = Instant.now();
      JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(caCert, new BigInteger(64, RANDOM),
          Date.from(now.minusSeconds(300)), Date.from(now.plus(Duration.ofDays(1))), subject.build(), client.getPublic());
      X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
          b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(ca.getPrivate())));
      return new ComponentCredentials(identity, List.of(cert), client.getPrivate());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static KeyPair newKeyPair() throws Exception {
    KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
    kpg.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
    return kpg.generateKeyPair();
  }
}
