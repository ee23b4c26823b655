package io.capstan.loadtests.api;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.PemTrustOptions;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where the benchmark sends its requests, read from a kubeconfig as {@code capstan up} writes it:
 * the server URL, the CA that signed its certificate (PEM; none means the JVM's default trust),
 * the bearer token.
 */
public record ApiTarget(URI server, byte[] caPem, String token) {

  public static ApiTarget fromKubeconfig(Path kubeconfig) throws IOException {
    String text = Files.readString(kubeconfig);
    URI server = URI.create(field(text, "server", kubeconfig));
    String token = field(text, "token", kubeconfig);
    Matcher ca = Pattern.compile("certificate-authority-data:\\s*(\\S+)").matcher(text);
    return new ApiTarget(server, ca.find() ? Base64.getDecoder().decode(ca.group(1)) : null, token);
  }

  /**
   * Client options for this server: TLS when its URL is https, trusting its CA and checking the
   * host name, by OpenSSL where Netty's BoringSSL loads (the load generator shares the machine
   * with what it measures, so its own CPU per request counts).
   */
  public HttpClientOptions clientOptions() {
    boolean tls = "https".equals(server.getScheme());
    int port = server.getPort() > 0 ? server.getPort() : tls ? 443 : 80;
    HttpClientOptions o = new HttpClientOptions().setDefaultHost(server.getHost()).setDefaultPort(port)
        .setSsl(tls).setConnectTimeout(10_000);
    if (tls) {
      o.setVerifyHost(true);
      if (caPem != null) {
        o.setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(caPem)));
      }
      if (OpenSSLEngineOptions.isAvailable()) {
        o.setSslEngineOptions(new OpenSSLEngineOptions());
      }
    }
    return o;
  }

  private static String field(String text, String name, Path file) {
    Matcher m = Pattern.compile("\\b" + name + ":\\s*(\\S+)").matcher(text);
    if (!m.find()) {
      throw new IllegalArgumentException(file + " has no " + name + " (expected a kubeconfig written by capstan up)");
    }
    return m.group(1);
  }
}
