package io.capstan.gateway.security;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The cluster's own certificate authority and the gateway's serving certificate, kept as PEM
 * files under {@code DATA_DIR/pki}: {@code ca.crt}, {@code ca.key}, {@code apiserver.crt},
 * {@code apiserver.key}. Generated on first start (ECDSA P-256) and reused afterwards, so a
 * kubeconfig written once keeps working across restarts; a serving certificate that lacks a
 * requested host name is reissued from the same CA.
 */
public final class CertificateAuthority {
  private static final Duration CA_VALIDITY = Duration.ofDays(3650);
  private static final Duration SERVING_VALIDITY = Duration.ofDays(365);
  private static final SecureRandom RANDOM = new SecureRandom();

  /** The files of a prepared PKI directory. */
  public record PkiFiles(Path caCert, Path caKey, Path servingCert, Path servingKey) {
    public String caPem() {
      try {
        return Files.readString(caCert, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** A client certificate and its key (PEM), issued by the cluster CA. */
  public record ClientCertFiles(Path cert, Path key) {}

  /** The cluster administrator, the user of the kubeconfig {@code up} writes. */
  public static final String ADMIN_NAME = AdminToken.ADMIN_USER;
  /** Who the gateway is to node agents when it fetches logs (kube-apiserver's kubelet client). */
  public static final String KUBELET_CLIENT_NAME = "capstan-apiserver-kubelet-client";
  /** The group of {@link #KUBELET_CLIENT_NAME}; node agents serve logs to members. */
  public static final String MASTERS_GROUP = "system:masters";

  private CertificateAuthority() {}

  /** The CA certificate of a PKI directory: what node agents trust as their client CA. */
  public static Path caCert(Path pkiDir) {
    return pkiDir.resolve("ca.crt");
  }

  private static Path caKey(Path pkiDir) {
    return pkiDir.resolve("ca.key");
  }

  /**
   * Makes sure {@code pkiDir} holds the CA and the gateway's client certificate for node agents
   * ({@code apiserver-kubelet-client.crt/.key}, CN {@value #KUBELET_CLIENT_NAME}, O
   * {@value #MASTERS_GROUP}), as kube-apiserver's {@code --kubelet-client-certificate}.
   */
  public static ClientCertFiles ensureKubeletClient(Path pkiDir) throws IOException {
    return ensureClient(pkiDir, "apiserver-kubelet-client", KUBELET_CLIENT_NAME, List.of(MASTERS_GROUP));
  }

  /**
   * Makes sure {@code pkiDir} holds the cluster administrator's client certificate
   * ({@code admin.crt/.key}, CN {@value #ADMIN_NAME}, O {@value #MASTERS_GROUP}): the user of
   * the kubeconfig {@code up} writes, as kubeadm's {@code admin.conf}.
   */
  public static ClientCertFiles ensureAdminClient(Path pkiDir) throws IOException {
    return ensureClient(pkiDir, "admin", ADMIN_NAME, List.of(MASTERS_GROUP));
  }

  /**
   * Makes sure {@code pkiDir} holds a client certificate {@code baseName.crt} (and its key,
   * {@code baseName.key}, owner-readable only) issued by the cluster CA to {@code user} (the
   * subject's CN) in {@code groups} (one O each), as Kubernetes' X.509 client authentication
   * reads them. An existing one is kept while it names the same user and groups and is valid for
   * 30 more days; otherwise a new one is issued.
   */
  public static ClientCertFiles ensureClient(Path pkiDir, String baseName, String user, List<String> groups)
      throws IOException {
    Files.createDirectories(pkiDir);
    ClientCertFiles files = new ClientCertFiles(pkiDir.resolve(baseName + ".crt"), pkiDir.resolve(baseName + ".key"));
    try {
      X509Certificate caCert = loadOrCreateCa(pkiDir);
      if (Files.exists(files.cert()) && Files.exists(files.key())) {
        X509Certificate have = readCertificate(files.cert());
        if (have.getNotAfter().toInstant().isAfter(Instant.now().plus(Duration.ofDays(30)))
            && ClientCertificateAuthenticator.userOf(have).equals(new UserInfo(user, "", groups))) {
          return files;
        }
      }
      IssuedClient issued = issueClient(pkiDir, user, groups, SERVING_VALIDITY);
      writePem(files.key(), "PRIVATE KEY", issued.key().getEncoded(), true);
      writePem(files.cert(), "CERTIFICATE", issued.certificate().getEncoded(), false);
      return files;
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IOException("cannot prepare the client certificate " + baseName + " in " + pkiDir + ": "
          + e.getMessage(), e);
    }
  }

  /** A client certificate and its private key, in memory. */
  public record IssuedClient(X509Certificate certificate, PrivateKey key) {
    /** The certificate as PEM. */
    public String certificatePem() {
      try {
        return pem("CERTIFICATE", certificate.getEncoded());
      } catch (java.security.cert.CertificateEncodingException e) {
        throw new IllegalStateException(e);
      }
    }

    /** The private key as PEM (PKCS#8). */
    public String keyPem() {
      return pem("PRIVATE KEY", key.getEncoded());
    }
  }

  /**
   * Issues a client certificate from the CA of {@code pkiDir} (which must exist) for
   * {@code user} in {@code groups}, valid for {@code validity}; nothing is written.
   */
  public static IssuedClient issueClient(Path pkiDir, String user, List<String> groups, Duration validity)
      throws IOException, GeneralSecurityException {
    if (user == null || user.isBlank()) {
      throw new IllegalArgumentException("a client certificate needs a user name (CN)");
    }
    X509Certificate caCert = readCertificate(caCert(pkiDir));
    PrivateKey caKey = readKey(caKey(pkiDir));
    KeyPair client = newKeyPair();
    Instant now = Instant.now();
    org.bouncycastle.asn1.x500.X500NameBuilder subject =
        new org.bouncycastle.asn1.x500.X500NameBuilder(org.bouncycastle.asn1.x500.style.BCStyle.INSTANCE);
    for (String g : groups) {
      subject.addRDN(org.bouncycastle.asn1.x500.style.BCStyle.O, g);
    }
    subject.addRDN(org.bouncycastle.asn1.x500.style.BCStyle.CN, user);
    try {
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(caCert, serial(), Date.from(now.minusSeconds(300)),
          Date.from(now.plus(validity)), subject.build(), client.getPublic());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
      b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(caCert));
      return new IssuedClient(sign(b, caKey), client.getPrivate());
    } catch (OperatorCreationException | IOException e) {
      throw new GeneralSecurityException("cannot issue a client certificate for " + user + ": " + e.getMessage(), e);
    }
  }

  /** Makes sure {@code pkiDir} holds the cluster CA ({@code ca.crt}, {@code ca.key}); returns its certificate file. */
  public static Path ensureCa(Path pkiDir) throws IOException {
    Files.createDirectories(pkiDir);
    try {
      loadOrCreateCa(pkiDir);
      return caCert(pkiDir);
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IOException("cannot prepare the cluster CA in " + pkiDir + ": " + e.getMessage(), e);
    }
  }

  /** The CA of {@code pkiDir}, made on first use. */
  private static X509Certificate loadOrCreateCa(Path pkiDir) throws IOException, GeneralSecurityException,
      OperatorCreationException {
    Path certFile = caCert(pkiDir);
    Path keyFile = caKey(pkiDir);
    if (Files.exists(certFile) && Files.exists(keyFile)) {
      return readCertificate(certFile);
    }
    KeyPair ca = newKeyPair();
    X509Certificate caCert = issueCa(ca);
    writePem(keyFile, "PRIVATE KEY", ca.getPrivate().getEncoded(), true);
    writePem(certFile, "CERTIFICATE", caCert.getEncoded(), false);
    return caCert;
  }

  /**
   * Makes sure {@code pkiDir} holds a CA and a serving certificate valid for {@code hosts}
   * (DNS names or IP literals; localhost, 127.0.0.1 and ::1 are always included).
   */
  public static PkiFiles ensure(Path pkiDir, List<String> hosts) throws IOException {
    Files.createDirectories(pkiDir);
    PkiFiles files = new PkiFiles(caCert(pkiDir), caKey(pkiDir),
        pkiDir.resolve("apiserver.crt"), pkiDir.resolve("apiserver.key"));
    Set<String> names = new LinkedHashSet<>(List.of("localhost", "127.0.0.1", "::1"));
    names.addAll(hosts);
    try {
      X509Certificate caCert = loadOrCreateCa(pkiDir);
      KeyPair ca = new KeyPair(caCert.getPublicKey(), readKey(files.caKey()));
      boolean reissue = !Files.exists(files.servingCert()) || !Files.exists(files.servingKey())
          || !coversAll(readCertificate(files.servingCert()), names);
      if (reissue) {
        KeyPair serving = newKeyPair();
        X509Certificate cert = issueServing(ca, caCert, serving, names);
        writePem(files.servingKey(), "PRIVATE KEY", serving.getPrivate().getEncoded(), true);
        writePem(files.servingCert(), "CERTIFICATE", cert.getEncoded(), false);
      }
      return files;
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IOException("cannot prepare certificates in " + pkiDir + ": " + e.getMessage(), e);
    }
  }

  public static X509Certificate readCertificate(Path pem) throws IOException, GeneralSecurityException {
    try (var in = Files.newInputStream(pem)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }

  public static PrivateKey readKey(Path pem) throws IOException, GeneralSecurityException {
    String text = Files.readString(pem, StandardCharsets.UTF_8)
        .replace("-----BEGIN PRIVATE KEY-----", "").replace("-----END PRIVATE KEY-----", "").replaceAll("\\s", "");
    return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(text)));
  }

  private static KeyPair newKeyPair() throws GeneralSecurityException {
    KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
    kpg.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
    return kpg.generateKeyPair();
  }

  private static X509Certificate issueCa(KeyPair ca) throws GeneralSecurityException, OperatorCreationException,
      IOException {
    X500Name name = new X500Name("CN=capstan-ca,O=capstan");
    Instant now = Instant.now();
    X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(), Date.from(now.minusSeconds(300)),
        Date.from(now.plus(CA_VALIDITY)), name, ca.getPublic());
    JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign
        | KeyUsage.digitalSignature));
    b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(ca.getPublic()));
    return sign(b, ca.getPrivate());
  }

  private static X509Certificate issueServing(KeyPair ca, X509Certificate caCert, KeyPair serving, Set<String> names)
      throws GeneralSecurityException, OperatorCreationException, IOException {
    Instant now = Instant.now();
    X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(caCert, serial(), Date.from(now.minusSeconds(300)),
        Date.from(now.plus(SERVING_VALIDITY)), new X500Name("CN=capstan-apiserver"), serving.getPublic());
    JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
    b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
    b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(serving.getPublic()));
    b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(caCert));
    List<GeneralName> alt = new ArrayList<>();
    for (String n : names) {
      alt.add(isIpLiteral(n) ? new GeneralName(GeneralName.iPAddress, n) : new GeneralName(GeneralName.dNSName, n));
    }
    b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(alt.toArray(GeneralName[]::new)));
    return sign(b, ca.getPrivate());
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key)
      throws GeneralSecurityException, OperatorCreationException {
    return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA")
        .build(key)));
  }

  private static boolean coversAll(X509Certificate cert, Set<String> names) throws GeneralSecurityException {
    if (cert.getNotAfter().toInstant().isBefore(Instant.now().plus(Duration.ofDays(30)))) {
      return false;
    }
    Set<String> have = new LinkedHashSet<>();
    var sans = cert.getSubjectAlternativeNames();
    if (sans != null) {
      for (List<?> san : sans) {
        have.add(normalize(String.valueOf(san.get(1))));
      }
    }
    return names.stream().map(CertificateAuthority::normalize).allMatch(have::contains);
  }

  private static String normalize(String host) {
    if (isIpLiteral(host)) {
      try {
        return InetAddress.getByName(host).getHostAddress();
      } catch (IOException e) {
        return host;
      }
    }
    return host.toLowerCase(java.util.Locale.ROOT);
  }

  static boolean isIpLiteral(String host) {
    return host.matches("[0-9.]+") || host.contains(":");
  }

  private static BigInteger serial() {
    return new BigInteger(127, RANDOM);
  }

  static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  static void writePem(Path file, String type, byte[] der, boolean secret) throws IOException {
    String pem = pem(type, der);
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, pem, StandardCharsets.UTF_8);
    if (secret) {
      ownerOnly(tmp);
    }
    Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  static void ownerOnly(Path file) throws IOException {
    try {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system: nothing more we can do
    }
  }
}
