package io.capstan.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.gateway.security.CertificateAuthority;
import io.capstan.gateway.security.ClientCertificateAuthenticator;
import io.capstan.gateway.security.UserInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code capstan certs issue}: a component's own certificate from the cluster CA, without the CA key. */
class CertsCommandTest {
  @TempDir Path dataDir;
  @TempDir Path out;

  @Test
  void issuesANodesCertificateAndTheCaCertificateOnly() throws Exception {
    CertificateAuthority.ensureCa(dataDir.resolve("pki"));
    CapstanCommandLineTest.Run r = CapstanCommandLineTest.run("certs", "issue", "--component", "node-agent",
        "--node-name", "n1", "--out", out.toString(), "--data-dir", dataDir.toString());
    assertEquals(0, r.status(), r.out() + r.err());
    assertTrue(r.out().contains("issued system:node:n1"), r.out());
    assertTrue(r.out().contains("--client-cert " + out.resolve("node-n1.crt")), r.out());
    UserInfo user = ClientCertificateAuthenticator.userOf(CertificateAuthority.readCertificate(out.resolve("node-n1.crt")));
    assertEquals(new UserInfo("system:node:n1", "", List.of("system:nodes")), user);
    assertTrue(Files.exists(out.resolve("node-n1.key")));
    assertEquals(Files.readString(dataDir.resolve("pki/ca.crt")), Files.readString(out.resolve("ca.crt")));
    assertFalse(Files.exists(out.resolve("ca.key")));

    CapstanCommandLineTest.Run scheduler = CapstanCommandLineTest.run("certs", "issue", "--component", "scheduler",
        "--out", out.toString(), "--data-dir", dataDir.toString());
    assertEquals(0, scheduler.status(), scheduler.out() + scheduler.err());
    assertTrue(scheduler.out().contains("issued system:kube-scheduler"), scheduler.out());
  }

  @Test
  void aComponentStartedWithAnotherIdentitysCertificateIsRefusedNamingBoth() throws Exception {
    CertificateAuthority.ensureCa(dataDir.resolve("pki"));
    assertEquals(0, CapstanCommandLineTest.run("certs", "issue", "--component", "node-agent", "--node-name", "n1",
        "--out", out.toString(), "--data-dir", dataDir.toString()).status());
    String cert = out.resolve("node-n1.crt").toString();
    String key = out.resolve("node-n1.key").toString();
    Path componentDir = out.resolve("component-data");
    CapstanCommandLineTest.Run scheduler = CapstanCommandLineTest.run("scheduler", "--kafka", "k:1", "--data-dir",
        componentDir.toString(), "--client-cert", cert, "--client-key", key);
    assertEquals(2, scheduler.status(), scheduler.out() + scheduler.err());
    assertTrue(scheduler.err().contains("is the certificate of \"system:node:n1\"; this component acts as"
        + " \"system:kube-scheduler\""), scheduler.err());
    CapstanCommandLineTest.Run otherNode = CapstanCommandLineTest.run("node-agent", "--kafka", "k:1", "--hollow",
        "--node-name", "n2", "--data-dir", componentDir.toString(), "--client-cert", cert, "--client-key", key);
    assertEquals(2, otherNode.status(), otherNode.out() + otherNode.err());
    assertTrue(otherNode.err().contains("acts as \"system:node:n2\""), otherNode.err());
    CapstanCommandLineTest.Run half = CapstanCommandLineTest.run("controllers", "--kafka", "k:1", "--data-dir",
        componentDir.toString(), "--client-cert", cert);
    assertEquals(2, half.status(), half.out() + half.err());
    assertTrue(half.err().contains("--client-cert and --client-key go together"), half.err());
  }

  @Test
  void badRequestsAreRefusedNamingWhatIsWrong() throws Exception {
    CapstanCommandLineTest.Run noCa = CapstanCommandLineTest.run("certs", "issue", "--component", "scheduler",
        "--out", out.toString(), "--data-dir", dataDir.toString());
    assertEquals(1, noCa.status());
    assertTrue(noCa.err().contains("holds no cluster CA"), noCa.err());

    CertificateAuthority.ensureCa(dataDir.resolve("pki"));
    CapstanCommandLineTest.Run noNode = CapstanCommandLineTest.run("certs", "issue", "--component", "node-agent",
        "--out", out.toString(), "--data-dir", dataDir.toString());
    assertEquals(2, noNode.status());
    assertTrue(noNode.err().contains("needs --node-name"), noNode.err());
    CapstanCommandLineTest.Run unknown = CapstanCommandLineTest.run("certs", "issue", "--component", "gateway",
        "--out", out.toString(), "--data-dir", dataDir.toString());
    assertEquals(2, unknown.status());
    assertTrue(unknown.err().contains("expected controllers, scheduler or node-agent"), unknown.err());
  }
}
