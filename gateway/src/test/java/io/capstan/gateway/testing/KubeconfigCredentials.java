package io.capstan.gateway.testing;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * What a kubeconfig the gateway wrote gives a plain HTTP client: the admin's bearer token (of the
 * capstan-token context) and a TLS context trusting the cluster CA it embeds.
 */
public record KubeconfigCredentials(String token, SSLContext tls) {
  public static KubeconfigCredentials read(Path kubeconfig) throws IOException, GeneralSecurityException {
    String text = Files.readString(kubeconfig);
    Matcher ca = Pattern.compile("certificate-authority-data: (\\S+)").matcher(text);
    Matcher token = Pattern.compile("\\btoken: (\\S+)").matcher(text);
    if (!ca.find() || !token.find()) {
      throw new IllegalStateException("the kubeconfig " + kubeconfig + " has no CA or no token:\n" + text);
    }
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(
        new ByteArrayInputStream(Base64.getDecoder().decode(ca.group(1)))));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    return new KubeconfigCredentials(token.group(1), ssl);
  }
}
