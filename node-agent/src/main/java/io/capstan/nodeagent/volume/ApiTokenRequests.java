package io.capstan.nodeagent.volume;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.api.Pod;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
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
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Tokens through the API, as kubelet gets them: {@code POST
 * /api/v1/namespaces/NS/serviceaccounts/SA/token} with a TokenRequest bound to the pod (kind Pod,
 * name and uid), authenticated by the node's client certificate ({@code system:node:NAME} in
 * {@code system:nodes}), trusting the cluster CA.
 */
public final class ApiTokenRequests implements ServiceAccountTokenSource {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final Duration TIMEOUT = Duration.ofSeconds(10);

  /** Where the API is and who this node is to it (PEM files). */
  public record ApiAccess(URI server, Path caCert, Path clientCert, Path clientKey) {}

  private final URI server;
  private final SSLContext ssl;
  private final Clock clock;
  /** Made on the first request: an idle node (no pod with a token) keeps no client thread. */
  private HttpClient http;

  /** Reads the certificate, key and CA now, so a bad file stops the agent at start, naming it. */
  public ApiTokenRequests(ApiAccess access, Clock clock) throws IOException {
    this.server = access.server();
    this.clock = clock;
    try {
      this.ssl = sslContext(access);
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot use the node's client certificate " + access.clientCert() + " or the CA "
          + access.caCert() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public Token request(Pod pod, String audience, long expirationSeconds) throws IOException {
    String ns = pod.getMetadata().getNamespace();
    String sa = pod.getSpec().getServiceAccountName() == null ? "default" : pod.getSpec().getServiceAccountName();
    ObjectNode body = JSON.createObjectNode().put("apiVersion", "authentication.k8s.io/v1").put("kind", "TokenRequest");
    ObjectNode spec = body.putObject("spec");
    if (audience != null && !audience.isEmpty()) {
      spec.putArray("audiences").add(audience);
    }
    spec.put("expirationSeconds", expirationSeconds);
    spec.putObject("boundObjectRef").put("kind", "Pod").put("apiVersion", "v1")
        .put("name", pod.getMetadata().getName()).put("uid", pod.getMetadata().getUid());
    URI uri = server.resolve("/api/v1/namespaces/" + enc(ns) + "/serviceaccounts/" + enc(sa) + "/token");
    Instant asked = clock.instant();
    HttpResponse<String> r;
    try {
      r = client().send(HttpRequest.newBuilder(uri).timeout(TIMEOUT).header("Content-Type", "application/json")
          .header("Accept", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while requesting a token for " + ns + "/" + sa, e);
    }
    if (r.statusCode() != 201 && r.statusCode() != 200) {
      String message = r.body();
      try {
        message = JSON.readTree(r.body()).path("message").asText(r.body());
      } catch (IOException ignored) {
        // not a Status: keep the body
      }
      throw new IOException("failed to fetch token: " + message + " (" + r.statusCode() + ")");
    }
    JsonNode status = JSON.readTree(r.body()).path("status");
    String token = status.path("token").asText("");
    if (token.isEmpty()) {
      throw new IOException("the TokenRequest for " + ns + "/" + sa + " was answered without a token");
    }
    Instant expires = status.hasNonNull("expirationTimestamp")
        ? Instant.parse(status.get("expirationTimestamp").asText()) : asked.plusSeconds(expirationSeconds);
    return new Token(token, asked, expires);
  }

  private synchronized HttpClient client() {
    if (http == null) {
      http = HttpClient.newBuilder().sslContext(ssl).connectTimeout(TIMEOUT).build();
    }
    return http;
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static SSLContext sslContext(ApiAccess access) throws IOException, GeneralSecurityException {
    CertificateFactory cf = CertificateFactory.getInstance("X.509");
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    int i = 0;
    for (Certificate c : cf.generateCertificates(new ByteArrayInputStream(Files.readAllBytes(access.caCert())))) {
      trust.setCertificateEntry("ca-" + i++, c);
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    Certificate[] chain = cf.generateCertificates(new ByteArrayInputStream(Files.readAllBytes(access.clientCert())))
        .toArray(new Certificate[0]);
    KeyStore keys = KeyStore.getInstance(KeyStore.getDefaultType());
    keys.load(null, null);
    char[] none = new char[0];
    keys.setKeyEntry("node", privateKey(access.clientKey()), none, chain);
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, none);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return ctx;
  }

  /** A PKCS#8 PEM private key ({@code -----BEGIN PRIVATE KEY-----}), EC or RSA. */
  private static PrivateKey privateKey(Path file) throws IOException, GeneralSecurityException {
    String pem = Files.readString(file);
    if (!pem.contains("BEGIN PRIVATE KEY")) {
      throw new GeneralSecurityException(file + " is not a PKCS#8 PEM private key (BEGIN PRIVATE KEY)");
    }
    byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
    PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
    try {
      return KeyFactory.getInstance("EC").generatePrivate(spec);
    } catch (GeneralSecurityException e) {
      return KeyFactory.getInstance("RSA").generatePrivate(spec);
    }
  }
}
