package io.capstan.nodeagent.proxy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A small network made of namespaces for proxy tests, so the host's ruleset is never touched: a
 * "node" namespace joined by a veth pair to each "pod" namespace (pod i: 10.244.i.5, the node's
 * side 10.244.i.1), ClusterIPs routed into the node, {@code route_localnet} and forwarding on.
 * Each pod runs busybox {@code httpd} on 8080 answering its own name; {@link #fetch} is curl. {@link #close} deletes it all.
 */
final class NetnsLab implements AutoCloseable {
  final String node;
  final List<String> pods = new ArrayList<>();
  private final List<Process> servers = new ArrayList<>();
  private final Path www;

  NetnsLab(int podCount) throws IOException, InterruptedException {
    require("ip", "iproute2");
    require("nft", "nftables");
    require("busybox", "busybox-static");
    require("curl", "curl");
    String id = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
    node = "capstan-test-" + id + "-node";
    www = Files.createTempDirectory("capstan-proxy-www-");
    try {
      run("ip", "netns", "add", node);
      inNode("ip", "link", "set", "lo", "up");
      inNode("sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
      inNode("sysctl", "-q", "-w", "net.ipv4.conf.all.route_localnet=1");
      // rejects are ICMP errors: no per-destination rate limit in the way of a test that sends several
      inNode("sysctl", "-q", "-w", "net.ipv4.icmp_ratelimit=0");
      for (int i = 1; i <= podCount; i++) {
        String pod = "capstan-test-" + id + "-pod" + i;
        run("ip", "netns", "add", pod);
        pods.add(pod);
        String host = "vp" + i + "-" + id;
        run("ip", "link", "add", host, "netns", node, "type", "veth", "peer", "name", "eth0", "netns", pod);
        inNode("ip", "addr", "add", "10.244." + i + ".1/24", "dev", host);
        inNode("ip", "link", "set", host, "up");
        // route_localnet must hold on the egress interface of a DNATed 127.0.0.1 packet too
        inNode("sysctl", "-q", "-w", "net.ipv4.conf." + host + ".route_localnet=1");
        in(pod, "ip", "link", "set", "lo", "up");
        in(pod, "ip", "addr", "add", podIp(i) + "/24", "dev", "eth0");
        in(pod, "ip", "link", "set", "eth0", "up");
        in(pod, "ip", "route", "add", "default", "via", "10.244." + i + ".1");
        Path dir = Files.createDirectories(www.resolve("pod" + i));
        Files.writeString(dir.resolve("index.html"), "pod" + i + "\n");
        servers.add(new ProcessBuilder("ip", "netns", "exec", pod, "busybox", "httpd", "-f", "-p", "8080", "-h",
            dir.toString()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
      }
      inNode("ip", "route", "add", "10.96.0.0/12", "dev", "vp1-" + id);
      for (int i = 1; i <= podCount; i++) {
        awaitServing(i);
      }
    } catch (IOException | InterruptedException | RuntimeException e) {
      close();
      throw e;
    }
  }

  static String podIp(int i) {
    return "10.244." + i + ".5";
  }

  /** The node's address on pod i's link. */
  static String nodeIp(int i) {
    return "10.244." + i + ".1";
  }

  RulesApplier nft() {
    return NftCommand.inNamespace(node);
  }

  /**
   * {@code curl} from a namespace (busybox's static {@code wget} crashes without NSS): the page's
   * body, or "ERROR" with curl's exit code and message (7: could not connect, e.g. refused; 28: timeout).
   */
  String fetch(String netns, String url) throws IOException, InterruptedException {
    Result r = exec(List.of("ip", "netns", "exec", netns, "curl", "-sS", "-m", "3", url));
    return r.code == 0 ? r.out.strip() : "ERROR " + r.code + " " + r.out.strip();
  }

  private void awaitServing(int i) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    String got = "";
    while (System.nanoTime() < deadline) {
      got = fetch(node, "http://" + podIp(i) + ":8080/");
      if (got.equals("pod" + i)) {
        return;
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("pod" + i + "'s httpd did not answer in 10 s: " + got);
  }

  String inNode(String... cmd) throws IOException, InterruptedException {
    return in(node, cmd);
  }

  String in(String netns, String... cmd) throws IOException, InterruptedException {
    List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", netns));
    full.addAll(List.of(cmd));
    return run(full.toArray(String[]::new));
  }

  static String run(String... cmd) throws IOException, InterruptedException {
    Result r = exec(List.of(cmd));
    if (r.code != 0) {
      throw new IllegalStateException(String.join(" ", cmd) + " exited " + r.code + ": " + r.out.strip());
    }
    return r.out;
  }

  record Result(int code, String out) {}

  static Result exec(List<String> cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException(String.join(" ", cmd) + " did not finish in 30 s");
    }
    return new Result(p.exitValue(), out);
  }

  private static void require(String tool, String pkg) {
    try {
      Process p = new ProcessBuilder("sh", "-c", "command -v " + tool).start();
      if (p.waitFor() != 0) {
        throw new IllegalStateException(tool + " is missing: apt-get install -y " + pkg);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot look for " + tool + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    for (Process p : servers) {
      p.destroyForcibly();
    }
    for (String ns : pods) {
      quietly("ip", "netns", "del", ns);
    }
    quietly("ip", "netns", "del", node);
    try (var files = Files.walk(www)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      // a temp directory left behind is harmless
    }
  }

  private static void quietly(String... cmd) {
    try {
      Result r = exec(List.of(cmd));
      if (r.code != 0) {
        System.err.println(String.join(" ", cmd) + ": " + r.out.strip());
      }
    } catch (IOException | InterruptedException e) {
      System.err.println(String.join(" ", cmd) + ": " + e);
    }
  }
}
