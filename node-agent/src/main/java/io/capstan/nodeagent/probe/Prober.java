package io.capstan.nodeagent.probe;

import io.capstan.api.Container;
import io.capstan.api.ContainerPort;
import io.capstan.api.ExecAction;
import io.capstan.api.HTTPGetAction;
import io.capstan.api.HTTPHeader;
import io.capstan.api.TCPSocketAction;
import io.capstan.nodeagent.runtime.ExecResult;
import io.capstan.nodeagent.runtime.RuntimeService;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/**
 * Runs one probe or hook action against a container: exec through the runtime, httpGet (a
 * 2xx/3xx answer succeeds), tcpSocket (a connection succeeds), as kubelet's prober. The pod's IP
 * is the host's in this slice, so network actions go to the host address given.
 */
public final class Prober {
  /** What a probe found; {@code output} says why it failed (the Unhealthy event's message). */
  public record Result(boolean success, String output) {}

  private final RuntimeService runtime;

  /**
   * One HTTP client for every prober of the process, made at the first httpGet probe: each client
   * owns a selector thread, and a hollow fleet has a prober per node. Probes keep no state in it.
   */
  private static final class Http {
    static final HttpClient CLIENT = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(Duration.ofSeconds(10)).build();
  }

  public Prober(RuntimeService runtime) {
    this.runtime = runtime;
  }

  public Result exec(String containerId, ExecAction exec, Duration timeout) {
    List<String> cmd = exec.getCommand() == null ? List.of() : exec.getCommand();
    if (cmd.isEmpty()) {
      return new Result(false, "exec probe with no command");
    }
    ExecResult r = runtime.execSync(containerId, cmd, timeout);
    if (r.timedOut()) {
      return new Result(false, "command " + cmd + " timed out after " + timeout.toSeconds() + "s");
    }
    return new Result(r.exitCode() == 0, r.exitCode() == 0 ? r.output()
        : "command " + cmd + " exited with " + r.exitCode() + ": " + r.output().trim());
  }

  public Result httpGet(Container c, HTTPGetAction get, String podIp, Duration timeout) {
    int port;
    try {
      port = port(c, get.getPort());
    } catch (IllegalArgumentException e) {
      return new Result(false, e.getMessage());
    }
    String host = get.getHost() == null || get.getHost().isEmpty() ? podIp : get.getHost();
    String scheme = get.getScheme() == null ? "http" : get.getScheme().toLowerCase(java.util.Locale.ROOT);
    String path = get.getPath() == null || get.getPath().isEmpty() ? "/" : get.getPath();
    URI uri = URI.create(scheme + "://" + host + ":" + port + (path.startsWith("/") ? path : "/" + path));
    HttpRequest.Builder req = HttpRequest.newBuilder(uri).timeout(timeout).GET().header("User-Agent", "kube-probe/1.31");
    if (get.getHttpHeaders() != null) {
      for (HTTPHeader h : get.getHttpHeaders()) {
        req.setHeader(h.getName(), h.getValue());
      }
    }
    try {
      HttpResponse<Void> resp = Http.CLIENT.send(req.build(), HttpResponse.BodyHandlers.discarding());
      boolean ok = resp.statusCode() >= 200 && resp.statusCode() < 400;
      return new Result(ok, ok ? "" : "HTTP probe failed with statuscode: " + resp.statusCode());
    } catch (IOException e) {
      return new Result(false, "Get \"" + uri + "\": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(false, "interrupted");
    }
  }

  public Result tcpSocket(Container c, TCPSocketAction tcp, String podIp, Duration timeout) {
    int port;
    try {
      port = port(c, tcp.getPort());
    } catch (IllegalArgumentException e) {
      return new Result(false, e.getMessage());
    }
    String host = tcp.getHost() == null || tcp.getHost().isEmpty() ? podIp : tcp.getHost();
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
      return new Result(true, "");
    } catch (IOException e) {
      return new Result(false, "dial tcp " + host + ":" + port + ": connect: " + e.getMessage());
    }
  }

  /** A port as a number or as the name of one of the container's ports. */
  static int port(Container c, Object port) {
    if (port instanceof Integer i) {
      return i;
    }
    if (port instanceof CharSequence name) {
      String n = name.toString();
      if (n.chars().allMatch(Character::isDigit) && !n.isEmpty()) {
        return Integer.parseInt(n);
      }
      if (c.getPorts() != null) {
        for (ContainerPort p : c.getPorts()) {
          if (n.equals(p.getName())) {
            return p.getContainerPort();
          }
        }
      }
      throw new IllegalArgumentException("port \"" + n + "\" is not a port of container " + c.getName());
    }
    throw new IllegalArgumentException("probe without a port");
  }
}
