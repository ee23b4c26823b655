package io.capstan.stateviews.resourcemetrics;

import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * An HTTPS client of node agents' kubelet API, as kube-apiserver's kubelet client: it presents a
 * client certificate issued by the cluster CA (PEM files) and, as kube-apiserver without
 * {@code --kubelet-certificate-authority}, does not verify the agent's serving certificate (agents
 * make a self-signed one at each start). The JDK's HTTP client, so that any module can scrape.
 */
public final class KubeletClient {
  /** How long a connect or a whole answer may take. */
  public static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final SSLContext tls;
  private final Clock clock;
  /**
   * Made at the first scrape: a JDK client keeps a selector thread for as long as it lives, and an
   * idle cluster (no HorizontalPodAutoscaler, nobody running {@code kubectl top}) scrapes nothing.
   */
  private volatile HttpClient http;

  /** A client certificate and its PKCS#8 private key, PEM files. */
  public record ClientCertificate(Path cert, Path key) {}

  public KubeletClient(ClientCertificate identity, Clock clock) throws IOException {
    this.clock = clock;
    try {
      this.tls = SSLContext.getInstance("TLS");
      tls.init(keyManagers(identity).getKeyManagers(), new TrustManager[] {new AnyServer()}, null);
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot use the client certificate " + identity.cert() + " (key " + identity.key()
          + ") for node agents: " + e.getMessage(), e);
    }
  }

  /** One scrape of {@code /metrics/resource} at the agent's host and port. */
  public CompletableFuture<NodeReading> resourceMetrics(String host, int port) {
    URI uri = URI.create("https://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port + "/metrics/resource");
    Instant at = clock.instant();
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(TIMEOUT).GET().build();
    return http().sendAsync(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)).thenApply(resp -> {
      if (resp.statusCode() != 200) {
        throw new IllegalStateException("the node agent at " + host + ":" + port + " answered " + resp.statusCode()
            + ": " + resp.body().strip());
      }
      return NodeReading.parse(resp.body(), at);
    });
  }

  private HttpClient http() {
    HttpClient h = http;
    if (h == null) {
      synchronized (this) {
        h = http;
        if (h == null) {
          h = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(tls).connectTimeout(TIMEOUT).build();
          http = h;
        }
      }
    }
    return h;
  }

  private static KeyManagerFactory keyManagers(ClientCertificate identity) throws IOException, GeneralSecurityException {
    CertificateFactory x509 = CertificateFactory.getInstance("X.509");
    Certificate[] chain;
    try (var in = Files.newInputStream(identity.cert())) {
      chain = x509.generateCertificates(in).toArray(Certificate[]::new);
    }
    if (chain.length == 0) {
      throw new GeneralSecurityException("no certificate in " + identity.cert());
    }
    byte[] der = pemBody(Files.readString(identity.key(), StandardCharsets.US_ASCII), "PRIVATE KEY");
    PrivateKey key = null;
    for (String algorithm : new String[] {"EC", "RSA", "Ed25519"}) {
      try {
        key = KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
        break;
      } catch (GeneralSecurityException e) {
        // not this algorithm's key
      }
    }
    if (key == null) {
      throw new GeneralSecurityException(identity.key() + " holds no PKCS#8 EC, RSA or Ed25519 private key");
    }
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    char[] password = new char[0];
    store.setKeyEntry("client", key, password, chain);
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(store, password);
    return kmf;
  }

  private static byte[] pemBody(String pem, String label) throws GeneralSecurityException {
    String begin = "-----BEGIN " + label + "-----";
    String end = "-----END " + label + "-----";
    int from = pem.indexOf(begin);
    int to = pem.indexOf(end);
    if (from < 0 || to < from) {
      throw new GeneralSecurityException("no " + begin + " block");
    }
    return Base64.getMimeDecoder().decode(pem.substring(from + begin.length(), to));
  }

  /**
   * Accepts any serving certificate and checks no host name: node agents' certificates are
   * self-signed per start. Extended, so that the JDK does not add its own host name check.
   */
  private static final class AnyServer extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
