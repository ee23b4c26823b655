package io.capstan.gateway.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecurityTest {
  @TempDir
  Path dir;

  @Test
  void tokenFileInKubeApiserverFormat() {
    var entries = TokenFile.parse("""
        # comment
        t1,alice,1001,"dev,ops"
        t2,bob,1002

        """, "tokens.csv");
    assertEquals(2, entries.size());
    assertEquals(new UserInfo("alice", "1001", List.of("dev", "ops")), entries.get(0).user());
    assertEquals(List.of(), entries.get(1).user().groups());
    assertFalse(entries.get(0).toString().contains("t1"), "tokens never printed");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TokenFile.parse("ok,a,1\nbroken", "tokens.csv"));
    assertEquals("tokens.csv line 2: expected token,user,uid[,\"group1,group2\"], got 1 column(s)", e.getMessage());
  }

  @Test
  void bearerTokens() {
    var auth = new BearerTokenAuthenticator(TokenFile.parse("secret,alice,1,\"dev\"", "t"));
    UserInfo alice = auth.authenticate("Bearer secret").orElseThrow();
    assertEquals("alice", alice.name());
    assertEquals(List.of("dev", UserInfo.AUTHENTICATED), alice.groups());
    assertTrue(auth.authenticate("bearer secret").isPresent());
    assertTrue(auth.authenticate("Bearer wrong").isEmpty());
    assertTrue(auth.authenticate("Basic secret").isEmpty());
    assertTrue(auth.authenticate(null).isEmpty());
  }

  @Test
  void adminTokenIsGeneratedOnceAndReused() throws Exception {
    Path tokens = dir.resolve("tokens.csv");
    String first = AdminToken.ensure(tokens);
    assertEquals(64, first.length());
    assertEquals(first, AdminToken.ensure(tokens));
    var entries = TokenFile.read(tokens);
    assertEquals(1, entries.size());
    assertEquals(List.of(AdminToken.ADMIN_GROUP), entries.get(0).user().groups());
  }

  @Test
  void certificatesAreGeneratedOnceReusedAndReissuedForNewHosts() throws Exception {
    Path pki = dir.resolve("pki");
    var files = CertificateAuthority.ensure(pki, List.of());
    var ca = CertificateAuthority.readCertificate(files.caCert());
    var serving = CertificateAuthority.readCertificate(files.servingCert());
    serving.verify(ca.getPublicKey());
    assertTrue(ca.getBasicConstraints() >= 0, "CA flag");
    assertTrue(serving.getSubjectAlternativeNames().stream().anyMatch(s -> s.get(1).equals("127.0.0.1")));
    byte[] before = Files.readAllBytes(files.servingCert());
    CertificateAuthority.ensure(pki, List.of());
    assertEquals(new String(before), Files.readString(files.servingCert()), "reused");
    CertificateAuthority.ensure(pki, List.of("gateway.example"));
    var reissued = CertificateAuthority.readCertificate(files.servingCert());
    assertNotEquals(serving.getSerialNumber(), reissued.getSerialNumber());
    reissued.verify(ca.getPublicKey());
    assertEquals(ca, CertificateAuthority.readCertificate(files.caCert()), "same CA");
  }

  @Test
  void kubeconfigEmbedsCa() {
    String k = KubeconfigWriter.render("https://127.0.0.1:6443", "PEM", "tok", "default");
    assertTrue(k.contains("certificate-authority-data: UEVN"), k);
    assertTrue(k.contains("token: tok"), k);
    assertTrue(k.contains("current-context: capstan"), k);
  }

  @Test
  void clientCertificatesNameTheUserAndGroupsAndAreKeptUntilTheyChange() throws Exception {
    Path pki = dir.resolve("pki");
    var admin = CertificateAuthority.ensureAdminClient(pki);
    var cert = CertificateAuthority.readCertificate(admin.cert());
    cert.verify(CertificateAuthority.readCertificate(CertificateAuthority.caCert(pki)).getPublicKey());
    assertEquals(new UserInfo("capstan-admin", "", List.of("system:masters")), ClientCertificateAuthenticator.userOf(cert));
    assertTrue(cert.getExtendedKeyUsage().contains("1.3.6.1.5.5.7.3.2"), "for client authentication");
    assertEquals(Files.readString(admin.cert()), Files.readString(CertificateAuthority.ensureAdminClient(pki).cert()),
        "reused");
    var other = CertificateAuthority.ensureClient(pki, "admin", "capstan-admin", List.of("system:masters", "ops"));
    assertEquals(List.of("system:masters", "ops"),
        ClientCertificateAuthenticator.userOf(CertificateAuthority.readCertificate(other.cert())).groups(), "reissued");
    assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
        Files.getPosixFilePermissions(admin.key())));
    var issued = CertificateAuthority.issueClient(pki, "jane", List.of(), java.time.Duration.ofHours(1));
    assertEquals(new UserInfo("jane", "", List.of()), ClientCertificateAuthenticator.userOf(issued.certificate()));
    assertThrows(IllegalArgumentException.class,
        () -> CertificateAuthority.issueClient(pki, " ", List.of(), java.time.Duration.ofHours(1)));
  }

  @Test
  void kubeconfigWithAClientCertificateKeepsTheTokenContext() {
    String k = KubeconfigWriter.render("https://127.0.0.1:6443", "PEM", "CERT", "KEY", "tok", "default");
    assertTrue(k.contains("client-certificate-data: Q0VSVA=="), k);
    assertTrue(k.contains("client-key-data: S0VZ"), k);
    assertTrue(k.contains("token: tok"), k);
    assertTrue(k.contains("current-context: capstan\n"), k);
    assertTrue(k.contains("- name: capstan-token\n  context:"), k);
  }
}
