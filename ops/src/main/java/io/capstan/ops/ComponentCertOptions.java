package io.capstan.ops;

import io.capstan.gateway.security.ComponentCertificates;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * How a component run on its own proves its identity to the command processor: a certificate of
 * its own ({@code capstan certs issue}), or, without one, the cluster's {@code pki/} copied into
 * its data dir (which holds the CA key and can mint any identity).
 */
final class ComponentCertOptions {
  @Option(names = "--client-cert", paramLabel = "FILE",
      description = "This component's certificate from the cluster CA (`capstan certs issue`): its commands go in a"
          + " session of that identity only. Without it, a copy of the cluster's pki/ in the data dir is used.")
  Path clientCert;

  @Option(names = "--client-key", paramLabel = "FILE", description = "The private key (PKCS#8 PEM) of --client-cert.")
  Path clientKey;

  /**
   * Installs the process's credentials for {@code identity}: the issued certificate when given
   * (refused, naming both, when it is another identity's), else the data dir's copy of the
   * cluster PKI when there is one.
   *
   * @throws IllegalArgumentException when one of the pair is missing, unreadable, or the certificate is not {@code identity}'s
   */
  void install(Path dataDir, String identity) {
    install(clientCert, clientKey, dataDir, identity);
  }

  static void install(Path cert, Path key, Path dataDir, String identity) {
    if ((cert == null) != (key == null)) {
      throw new IllegalArgumentException("--client-cert and --client-key go together");
    }
    if (cert != null) {
      ComponentCertificates.installIssued(cert.toAbsolutePath(), key.toAbsolutePath(), identity);
    } else {
      ComponentCertificates.installIfPresent(dataDir);
    }
  }
}
