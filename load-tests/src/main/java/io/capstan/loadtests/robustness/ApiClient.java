package io.capstan.loadtests.robustness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.capstan.loadtests.api.ApiTarget;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A blocking HTTP client of the Kubernetes API for the recording clients (one call at a time per
 * thread, so call and return times are the client's own): JSON in and out, the bearer token,
 * the server's CA trusted.
 */
final class ApiClient {
  static final ObjectMapper JSON = new ObjectMapper();

  /** An answer: its status code and JSON body (null when it has none or is not JSON). */
  record Answer(int code, JsonNode body) {}

  private final ApiTarget target;
  private final HttpClient http;
  private final Duration timeout;

  ApiClient(ApiTarget target, Duration timeout) throws Exception {
    this.target = target;
    this.timeout = timeout;
    HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10));
    if (target.caPem() != null) {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      int i = 0;
      for (Certificate c : CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(target.caPem()))) {
        trust.setCertificateEntry("ca-" + i++, c);
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, tmf.getTrustManagers(), null);
      b.sslContext(ssl);
    }
    this.http = b.build();
  }

  private HttpRequest.Builder request(String path, Duration t) {
    return HttpRequest.newBuilder(URI.create(target.server().toString().replaceAll("/$", "") + path))
        .timeout(t).header("Authorization", "Bearer " + target.token()).header("Accept", "application/json");
  }

  Answer call(String method, String path, String contentType, String body) throws IOException, InterruptedException {
    HttpRequest.Builder r = request(path, timeout);
    if (body == null) {
      r.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      r.header("Content-Type", contentType).method(method, HttpRequest.BodyPublishers.ofString(body));
    }
    HttpResponse<byte[]> resp = http.send(r.build(), HttpResponse.BodyHandlers.ofByteArray());
    JsonNode json = null;
    try {
      json = resp.body().length == 0 ? null : JSON.readTree(resp.body());
    } catch (IOException notJson) {
      // the code says enough
    }
    return new Answer(resp.statusCode(), json);
  }

  /** A streamed GET (a watch): its status code and its lines as they come; closing the stream ends it. */
  HttpResponse<Stream<String>> stream(String path, Duration limit) throws IOException, InterruptedException {
    return http.send(request(path, limit).GET().build(), HttpResponse.BodyHandlers.ofLines());
  }
}
