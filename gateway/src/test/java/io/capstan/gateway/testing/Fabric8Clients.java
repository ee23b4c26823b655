package io.capstan.gateway.testing;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Path;

/** fabric8 clients of a test gateway. */
public final class Fabric8Clients {
  private Fabric8Clients() {}

  /**
   * A client of the gateway at {@code url} that trusts only its CA and sends {@code token}. It
   * does not retry: fabric8 retries 5xx answers with back-off, and a 5xx a test asserts (or a 500
   * that must fail it rather than be retried into the 404 after it) is not to be waited out.
   */
  public static KubernetesClient of(String url, Path caCert, String token) {
    Config config = new ConfigBuilder(Config.empty())
        .withMasterUrl(url)
        .withCaCertFile(caCert.toString())
        .withOauthToken(token)
        .withTrustCerts(false)
        .withRequestTimeout(30_000)
        .withRequestRetryBackoffLimit(0)
        .build();
    return new KubernetesClientBuilder().withConfig(config).build();
  }
}
