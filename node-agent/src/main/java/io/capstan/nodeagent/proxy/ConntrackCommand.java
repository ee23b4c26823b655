package io.capstan.nodeagent.proxy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes stale UDP flows with the {@code conntrack} tool (Debian's {@code conntrack} package), as
 * kube-proxy's conntrack cleanup: {@code conntrack -D -p udp --orig-dst IP --orig-port-dst PORT
 * --dst-nat ENDPOINT} for a ClusterIP, {@code --orig-port-dst NODEPORT --dst-nat ENDPOINT} for a
 * NodePort. "No flows matched" is success.
 */
public final class ConntrackCommand {
  private static final Logger log = LoggerFactory.getLogger(ConntrackCommand.class);
  private final List<String> prefix;
  private volatile boolean warnedMissing;

  public ConntrackCommand(List<String> prefix) {
    this.prefix = List.copyOf(prefix);
  }

  /** The arguments after {@code conntrack} that delete one flow set. */
  static List<String> arguments(StaleUdpFlows.Flow f) {
    List<String> a = new ArrayList<>(List.of("-D", "-p", "udp"));
    if (!f.nodePort()) {
      a.addAll(List.of("--orig-dst", f.destination()));
    }
    a.addAll(List.of("--orig-port-dst", Integer.toString(f.port()), "--dst-nat", f.endpointIp()));
    return a;
  }

  /** @return how many flow sets could not be cleared (each is logged) */
  public int delete(List<StaleUdpFlows.Flow> flows) {
    int failed = 0;
    for (StaleUdpFlows.Flow f : flows) {
      List<String> cmd = new ArrayList<>(prefix);
      cmd.add("conntrack");
      cmd.addAll(arguments(f));
      try {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          failed++;
          log.warn("conntrack {} did not finish in 10 s", String.join(" ", cmd));
        } else if (p.exitValue() != 0 && !out.contains("0 flow entries")) {
          failed++;
          log.warn("conntrack {} failed ({}): {}", String.join(" ", cmd), p.exitValue(), out.strip());
        }
      } catch (IOException e) {
        failed++;
        if (!warnedMissing) {
          warnedMissing = true;
          log.warn("stale UDP flows are not cleared: conntrack cannot run ({}); apt-get install -y conntrack",
              e.getMessage());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return failed + 1;
      }
    }
    return failed;
  }
}
