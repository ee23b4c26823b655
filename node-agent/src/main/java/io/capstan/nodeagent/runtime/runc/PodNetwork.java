package io.capstan.nodeagent.runtime.runc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.jna.LastErrorException;
import io.capstan.nodeagent.runtime.RuntimeFailure;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pod networking through CNI, as kubelet's runtime does it: each pod sandbox gets a network
 * namespace of its own (a bind-mounted namespace file under {@code <state>/netns/}), the CNI
 * {@code loopback} plugin brings up {@code lo}, and the {@code bridge} plugin with {@code
 * host-local} IPAM plugs {@code eth0} into the node's bridge {@value #BRIDGE} with an address
 * from {@link #DEFAULT_SUBNET}. Pods on the node reach each other by these addresses; traffic
 * leaving the subnet is masqueraded by one nftables rule for the whole subnet (table {@value
 * #NAT_TABLE}, written once when the runtime starts), or, without {@code nft}, by the bridge
 * plugin's per-pod iptables chains (about 60 ms of CPU per pod added and 30 ms per pod removed,
 * taken under the machine-wide xtables lock, so concurrent pod starts queue on it). The plugins are the
 * Debian package {@value #PACKAGE}'s; the IPAM state is machine-wide
 * ({@code /var/lib/cni/networks/capstan}), so several agents on one machine never hand out an
 * address twice.
 */
public final class PodNetwork {
  private static final Logger log = LoggerFactory.getLogger(PodNetwork.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  public static final String PACKAGE = "containernetworking-plugins";
  static final List<Path> PLUGIN_DIRS = List.of(Path.of("/usr/lib/cni"), Path.of("/opt/cni/bin"));
  static final String NETWORK = "capstan";
  static final String BRIDGE = io.capstan.nodeagent.node.MachineInfo.POD_BRIDGE;
  public static final String DEFAULT_SUBNET = "10.244.0.0/16";
  /** The bridge's address, the pods' gateway: host-local gives the subnet's first address to the gateway. */
  public static final String GATEWAY = "10.244.0.1";
  private static final long PLUGIN_TIMEOUT_S = 30;
  /** The nftables table holding the pod subnet's one masquerade rule. */
  public static final String NAT_TABLE = "capstan-podnet";

  /** How traffic from pods to addresses outside the pod subnet is masqueraded. */
  enum Masquerade {
    /** One nftables rule for the whole subnet, written once. */
    NFTABLES,
    /** The bridge plugin's iptables chain per pod. */
    PER_POD_IPTABLES,
    /** Neither nft nor iptables: not masqueraded. */
    NONE
  }

  private final Path pluginDir;
  private final Path netnsDir;
  private final Masquerade masquerade;

  private PodNetwork(Path pluginDir, Path netnsDir, Masquerade masquerade) {
    this.pluginDir = pluginDir;
    this.netnsDir = netnsDir;
    this.masquerade = masquerade;
  }

  /** The plugin directory with {@code bridge}, {@code host-local} and {@code loopback}, if any. */
  public static Optional<Path> findPlugins() {
    for (Path d : PLUGIN_DIRS) {
      if (Files.isExecutable(d.resolve("bridge")) && Files.isExecutable(d.resolve("host-local"))
          && Files.isExecutable(d.resolve("loopback"))) {
        return Optional.of(d);
      }
    }
    return Optional.empty();
  }

  /** Pod networking for a runtime whose state lives in {@code stateDir}, or empty (with the reason logged) without the plugins. */
  static Optional<PodNetwork> detect(Path stateDir) {
    Optional<Path> plugins = findPlugins();
    if (plugins.isEmpty()) {
      log.warn("no CNI plugins (bridge, host-local, loopback) in {}: pods use the host network (apt-get install -y {})",
          PLUGIN_DIRS, PACKAGE);
      return Optional.empty();
    }
    Masquerade masquerade = chooseMasquerade();
    log.info("pod network {}: CNI plugins from {}, bridge {}, subnet {}, {}", NETWORK, plugins.get(), BRIDGE,
        DEFAULT_SUBNET, switch (masquerade) {
          case NFTABLES -> "masqueraded by nftables table " + NAT_TABLE;
          case PER_POD_IPTABLES -> "masqueraded by iptables per pod (no nft)";
          case NONE -> "not masqueraded (neither nft nor iptables)";
        });
    return Optional.of(new PodNetwork(plugins.get(), stateDir.resolve("netns"), masquerade));
  }

  /**
   * Writes the subnet's masquerade rule with {@code nft} when it is there (one atomic transaction,
   * the same for every agent on the machine, so several agents rewriting it concurrently leave one
   * rule), else leaves masquerading to the bridge plugin's iptables chains.
   */
  private static Masquerade chooseMasquerade() {
    if (onPath("nft")) {
      String rules = "add table ip " + NAT_TABLE + "\n"
          + "flush table ip " + NAT_TABLE + "\n"
          + "add chain ip " + NAT_TABLE + " postrouting { type nat hook postrouting priority srcnat; policy accept; }\n"
          + "add rule ip " + NAT_TABLE + " postrouting ip saddr " + DEFAULT_SUBNET + " ip daddr != { " + DEFAULT_SUBNET
          + ", 224.0.0.0/4 } masquerade\n";
      try {
        run(List.of("nft", "-f", "-"), null, rules, "nft: the masquerade rule of the pod subnet");
        return Masquerade.NFTABLES;
      } catch (IOException e) {
        log.warn("cannot write the pod subnet's masquerade rule with nft ({}); the bridge plugin masquerades per pod",
            e.getMessage());
      }
    }
    return onPath("iptables") ? Masquerade.PER_POD_IPTABLES : Masquerade.NONE;
  }

  /** Why pods use the host network when there are no plugins, with what to install. */
  public static String missingMessage() {
    return "no CNI plugins in " + PLUGIN_DIRS + " (apt-get install -y " + PACKAGE + "): pods use the host network";
  }

  /** The network namespace file of a sandbox (the OCI spec's network namespace path). */
  Path netns(String sandboxId) {
    return netnsDir.resolve(sandboxId);
  }

  /**
   * Creates the sandbox's network namespace and attaches it; returns the pod's IP. A failure
   * leaves nothing behind.
   */
  String setUp(String sandboxId) {
    Path ns = netns(sandboxId);
    try {
      Files.createDirectories(netnsDir);
      Optional<String> known = recordedIp(sandboxId);
      if (known.isPresent() && isMounted(ns)) {
        return known.get(); // set up already (an adopted sandbox)
      }
      Files.deleteIfExists(ns);
      Files.createFile(ns);
      run(List.of("unshare", "--net=" + ns, "true"), null, "create the network namespace of " + sandboxId);
      plugin("loopback", "ADD", sandboxId, ns, "lo", loopbackConfig());
      JsonNode result = plugin("bridge", "ADD", sandboxId, ns, "eth0", bridgeConfig());
      String address = result.path("ips").path(0).path("address").asText("");
      if (address.isEmpty()) {
        throw new IOException("the bridge plugin gave no address: " + result);
      }
      String ip = address.contains("/") ? address.substring(0, address.indexOf('/')) : address;
      Files.writeString(netnsDir.resolve(sandboxId + ".ip"), ip);
      return ip;
    } catch (IOException | RuntimeException e) {
      tearDown(sandboxId);
      throw new RuntimeFailure("CreatePodSandboxError", "cannot set up the network of pod sandbox " + sandboxId + ": "
          + e.getMessage(), e);
    }
  }

  /** The IP recorded for a sandbox set up earlier (by this agent or one before it). */
  Optional<String> recordedIp(String sandboxId) throws IOException {
    Path f = netnsDir.resolve(sandboxId + ".ip");
    return Files.isRegularFile(f) ? Optional.of(Files.readString(f).strip()) : Optional.empty();
  }

  /** True when the sandbox has (or had, half set up) a network here. */
  boolean hasState(String sandboxId) {
    return Files.exists(netns(sandboxId)) || Files.exists(netnsDir.resolve(sandboxId + ".ip"));
  }

  /** Tears down the sandbox networks an earlier run left, but those of {@code keep} (their addresses go back to the pool). */
  void tearDownLeftovers(java.util.Set<String> keep) {
    if (!Files.isDirectory(netnsDir)) {
      return;
    }
    try (var files = Files.list(netnsDir)) {
      for (Path f : files.toList()) {
        String name = f.getFileName().toString();
        if (!name.endsWith(".ip") && !keep.contains(name)) {
          log.info("removing the network of pod sandbox {} left by an earlier run", name);
          tearDown(name);
        }
      }
    } catch (IOException e) {
      log.warn("cannot list {}: {}", netnsDir, e.getMessage());
    }
  }

  /** Detaches the sandbox and removes its namespace; idempotent, best effort. */
  void tearDown(String sandboxId) {
    Path ns = netns(sandboxId);
    boolean mounted = isMounted(ns);
    try {
      // DEL releases the address even when the namespace is gone (CNI: DEL must tolerate missing parts).
      plugin("bridge", "DEL", sandboxId, mounted ? ns : null, "eth0", bridgeConfig());
      if (mounted) {
        plugin("loopback", "DEL", sandboxId, ns, "lo", loopbackConfig());
      }
    } catch (IOException | RuntimeException e) {
      log.warn("pod sandbox {}: CNI DEL failed: {}", sandboxId, e.getMessage());
    }
    if (mounted) {
      try {
        LibC.INSTANCE.umount2(ns.toString(), LibC.MNT_DETACH);
      } catch (LastErrorException e) {
        log.warn("pod sandbox {}: cannot unmount {}: {}", sandboxId, ns, e.getMessage());
      }
    }
    try {
      Files.deleteIfExists(ns);
      Files.deleteIfExists(netnsDir.resolve(sandboxId + ".ip"));
    } catch (IOException e) {
      log.warn("pod sandbox {}: cannot remove {}: {}", sandboxId, ns, e.getMessage());
    }
  }

  private JsonNode plugin(String type, String command, String sandboxId, Path ns, String ifname, ObjectNode conf)
      throws IOException {
    Map<String, String> env = new java.util.HashMap<>();
    env.put("CNI_COMMAND", command);
    env.put("CNI_CONTAINERID", sandboxId);
    env.put("CNI_NETNS", ns == null ? "" : ns.toString());
    env.put("CNI_IFNAME", ifname);
    env.put("CNI_PATH", pluginDir.toString());
    String out = run(List.of(pluginDir.resolve(type).toString()), env, JSON.writeValueAsString(conf),
        "CNI " + type + " " + command + " for " + sandboxId);
    return out.isBlank() ? JSON.createObjectNode() : JSON.readTree(out);
  }

  private ObjectNode loopbackConfig() {
    ObjectNode c = JSON.createObjectNode();
    c.put("cniVersion", "1.0.0").put("name", NETWORK + "-lo").put("type", "loopback");
    return c;
  }

  private ObjectNode bridgeConfig() {
    ObjectNode c = JSON.createObjectNode();
    c.put("cniVersion", "1.0.0").put("name", NETWORK).put("type", "bridge").put("bridge", BRIDGE)
        .put("isGateway", true).put("ipMasq", masquerade == Masquerade.PER_POD_IPTABLES).put("hairpinMode", true);
    ObjectNode ipam = c.putObject("ipam");
    ipam.put("type", "host-local");
    ipam.putArray("ranges").addArray().addObject().put("subnet", DEFAULT_SUBNET);
    ipam.putArray("routes").addObject().put("dst", "0.0.0.0/0");
    return c;
  }

  private static String run(List<String> cmd, Map<String, String> env, String what) throws IOException {
    return run(cmd, env, null, what);
  }

  private static String run(List<String> cmd, Map<String, String> env, String stdin, String what) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(false);
    if (env != null) {
      pb.environment().putAll(env);
    }
    Process p = pb.start();
    if (stdin != null) {
      p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    p.getOutputStream().close();
    try {
      if (!p.waitFor(PLUGIN_TIMEOUT_S, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(what + ": no answer in " + PLUGIN_TIMEOUT_S + " s");
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException(what + ": interrupted", e);
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      // CNI plugins report errors as JSON on stdout: {"code":…,"msg":…,"details":…}
      String msg = out.isBlank() ? err : out.strip();
      throw new IOException(what + " failed (exit " + p.exitValue() + "): " + msg);
    }
    return out;
  }

  /** True when {@code file} is a mount point (a bound namespace), read from /proc/self/mountinfo. */
  static boolean isMounted(Path file) {
    try {
      String target = file.toAbsolutePath().normalize().toString();
      for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
        String[] f = line.split(" ");
        if (f.length > 4 && f[4].equals(target)) {
          return true;
        }
      }
    } catch (IOException e) {
      return false;
    }
    return false;
  }

  private static boolean onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
      if (Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return Files.isExecutable(Path.of("/usr/sbin", tool)) || Files.isExecutable(Path.of("/sbin", tool));
  }
}
