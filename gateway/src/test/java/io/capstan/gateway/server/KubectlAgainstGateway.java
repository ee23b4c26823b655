package io.capstan.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.capstan.gateway.testing.KubectlCli;
import io.capstan.gateway.testing.KubectlCli.Result;
import java.io.IOException;
import java.nio.file.Path;
import java.security.KeyStore;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the real-kubectl test classes share: a gateway over HTTPS on a free port for the class,
 * with the kubeconfig it writes (CA embedded, admin token), and kubectl run against it.
 */
abstract class KubectlAgainstGateway {
  static KubectlCli cli;

  @TempDir
  static Path dataDir;
  static GatewayTestServer server;

  @BeforeAll
  static void start() throws Exception {
    KubectlCli.require();
    server = GatewayTestServer.start(dataDir);
    cli = new KubectlCli(server.kubeconfig(), dataDir.resolve("kube-cache"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  /** TLS that trusts the gateway's CA, for requests kubectl would not send. */
  static SSLContext trustingGatewayCa() throws Exception {
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    trust.setCertificateEntry("capstan-ca", io.capstan.gateway.security.CertificateAuthority.readCertificate(
        server.caCert()));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    return ssl;
  }

  static Result kubectl(String... args) throws IOException, InterruptedException {
    return cli.run(args);
  }

  /** kubectl that must succeed. */
  static Result ok(String... args) throws IOException, InterruptedException {
    Result r = kubectl(args);
    assertEquals(0, r.exit(), r.both());
    return r;
  }
}
