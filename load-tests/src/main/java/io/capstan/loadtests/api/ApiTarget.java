package io.capstan.loadtests.api;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Where the benchmark sends its requests, read from a kubeconfig as {@code capstan up} writes it:
 * the server URL, the CA that signed its certificate, the bearer token.
 */
record ApiTarget(String server, SSLContext ssl, String token) {

  static ApiTarget fromKubeconfig(Path kubeconfig) throws IOException, GeneralSecurityException {
    String text = Files.readString(kubeconfig);
    String server = field(text, "server", kubeconfig);
    String token = field(text, "token", kubeconfig);
    SSLContext ssl = SSLContext.getDefault();
    Matcher ca = Pattern.compile("certificate-authority-data:\\s*(\\S+)").matcher(text);
    if (ca.find()) {
      Certificate cert = CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(Base64.getDecoder().decode(ca.group(1))));
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      trust.setCertificateEntry("cluster-ca", cert);
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      ssl = SSLContext.getInstance("TLS");
      ssl.init(null, tmf.getTrustManagers(), null);
    }
    return new ApiTarget(server, ssl, token);
  }

  private static String field(String text, String name, Path file) {
    Matcher m = Pattern.compile("\\b" + name + ":\\s*(\\S+)").matcher(text);
    if (!m.find()) {
      throw new IllegalArgumentException(file + " has no " + name + " (expected a kubeconfig written by capstan up)");
    }
    return m.group(1);
  }
}
