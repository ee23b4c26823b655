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
 * @param eventLoops   how many event loops serve requests (default: one per core); connections are
 *                     spread over them, so a long list on one doesn't hold up gets on the others
 * @param eventLoopNice the nice value the event-loop threads ask for (default -10; 0 leaves them as
 *                     they are): ahead of the broker's, the processor's and the controllers' threads
 *                     on the same machine, so requests are not queued for a CPU behind their
 *                     batches. A negative value needs root or CAP_SYS_NICE; without, the gateway
 *                     warns and serves at normal priority.
 * @param alsoListenOn more addresses served on the same port besides {@code host} (e.g. the node's
 *                     address, where pods reach the {@code kubernetes} Service's endpoints); each
 *                     should be in {@code extraHosts} too, for the certificate
 */
public record GatewayConfig(String host, int port, Path dataDir, boolean insecureHttp, long maxBodyBytes,
    Path tokenFile, List<String> extraHosts, int eventLoops, int eventLoopNice, List<String> alsoListenOn) {
  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 6443;
  public static final long DEFAULT_MAX_BODY_BYTES = 3 * 1024 * 1024;
  public static final int DEFAULT_EVENT_LOOP_NICE = -10;

  public GatewayConfig {
    extraHosts = List.copyOf(extraHosts);
    alsoListenOn = List.copyOf(alsoListenOn);
    for (String a : alsoListenOn) {
      if (a.isBlank() || a.equals(host)) {
        throw new IllegalArgumentException("a further listen address must be a non-blank address other than " + host
            + ", got '" + a + "'");
      }
    }
    if (eventLoops < 1) {
      throw new IllegalArgumentException("event loops must be at least 1, got " + eventLoops);
    }
    if (eventLoopNice < -20 || eventLoopNice > 19) {
      throw new IllegalArgumentException("the event loops' nice value must be -20..19, got " + eventLoopNice);
    }
    if (tokenFile == null) {
      tokenFile = dataDir.resolve("tokens.csv");
    }
  }

  /** Listening on {@code host} only. */
  public GatewayConfig(String host, int port, Path dataDir, boolean insecureHttp, long maxBodyBytes,
      Path tokenFile, List<String> extraHosts, int eventLoops, int eventLoopNice) {
    this(host, port, dataDir, insecureHttp, maxBodyBytes, tokenFile, extraHosts, eventLoops, eventLoopNice, List.of());
  }

  /** With the default number of event loops. */
  public GatewayConfig(String host, int port, Path dataDir, boolean insecureHttp, long maxBodyBytes,
      Path tokenFile, List<String> extraHosts) {
    this(host, port, dataDir, insecureHttp, maxBodyBytes, tokenFile, extraHosts, defaultEventLoops(),
        DEFAULT_EVENT_LOOP_NICE);
  }

  /** One event loop per core the JVM may use. */
  public static int defaultEventLoops() {
    return Runtime.getRuntime().availableProcessors();
  }

  public static GatewayConfig defaults(Path dataDir) {
    return new GatewayConfig(DEFAULT_HOST, DEFAULT_PORT, dataDir, false, DEFAULT_MAX_BODY_BYTES, null, List.of());
  }

  public GatewayConfig withPort(int port) {
    return new GatewayConfig(host, port, dataDir, insecureHttp, maxBodyBytes, tokenFile, extraHosts, eventLoops, eventLoopNice,
        alsoListenOn);
  }

  public GatewayConfig withMaxBodyBytes(long max) {
    return new GatewayConfig(host, port, dataDir, insecureHttp, max, tokenFile, extraHosts, eventLoops, eventLoopNice,
        alsoListenOn);
  }

  public GatewayConfig withEventLoops(int loops) {
    return new GatewayConfig(host, port, dataDir, insecureHttp, maxBodyBytes, tokenFile, extraHosts, loops,
        eventLoopNice, alsoListenOn);
  }

  public GatewayConfig withEventLoopNice(int nice) {
    return new GatewayConfig(host, port, dataDir, insecureHttp, maxBodyBytes, tokenFile, extraHosts, eventLoops,
        nice, alsoListenOn);
  }

  /** With more names/IPs for the serving certificate (added to those given). */
  public GatewayConfig withExtraHosts(List<String> more) {
    List<String> all = new java.util.ArrayList<>(extraHosts);
    more.stream().filter(h -> !all.contains(h)).forEach(all::add);
    return new GatewayConfig(host, port, dataDir, insecureHttp, maxBodyBytes, tokenFile, all, eventLoops, eventLoopNice,
        alsoListenOn);
  }

  /** Serving on these addresses too, on the same port. */
  public GatewayConfig withAlsoListenOn(List<String> addresses) {
    return new GatewayConfig(host, port, dataDir, insecureHttp, maxBodyBytes, tokenFile, extraHosts, eventLoops,
        eventLoopNice, addresses);
  }

  public Path kubeconfig() {
    return dataDir.resolve("kubeconfig");
  }

  public Path pkiDir() {
    return dataDir.resolve("pki");
  }
}
