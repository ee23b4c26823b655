package io.capstan.gateway.server;

import java.nio.file.Path;
import java.util.List;

/**
 * The gateway's settings; every default is here.
 *
 * @param host         address to listen on (default 127.0.0.1)
 * @param port         port to listen on (default 6443; 0 picks a free one)
 * @param dataDir      where pki/, tokens.csv and kubeconfig live
 * @param insecureHttp serve plain HTTP without authentication material on the wire: local experiments only
 * @param maxBodyBytes request bodies larger than this get 413 (default 3 MiB, kube-apiserver's limit)
 * @param tokenFile    the token-auth file (default DATA_DIR/tokens.csv)
 * @param extraHosts   more names/IPs for the serving certificate
 */
public record GatewayConfig(String host, int port, Path dataDir, boolean insecureHttp, long maxBodyBytes,
    Path tokenFile, List<String> extraHosts) {
  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 6443;
  public static final long DEFAULT_MAX_BODY_BYTES = 3 * 1024 * 1024;

  public GatewayConfig {
    extraHosts = List.copyOf(extraHosts);
    if (tokenFile == null) {
      tokenFile = dataDir.resolve("tokens.csv");
    }
  }

  public static GatewayConfig defaults(Path dataDir) {
    return new GatewayConfig(DEFAULT_HOST, DEFAULT_PORT, dataDir, false, DEFAULT_MAX_BODY_BYTES, null, List.of());
  }

  public GatewayConfig withPort(int port) {
    return new GatewayConfig(host, port, dataDir, insecureHttp, maxBodyBytes, tokenFile, extraHosts);
  }

  public GatewayConfig withMaxBodyBytes(long max) {
    return new GatewayConfig(host, port, dataDir, insecureHttp, max, tokenFile, extraHosts);
  }

  public Path kubeconfig() {
    return dataDir.resolve("kubeconfig");
  }

  public Path pkiDir() {
    return dataDir.resolve("pki");
  }
}
