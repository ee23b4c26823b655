package io.capstan.nodeagent.proxy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Applies rulesets with {@code nft -f FILE} (Debian's {@code nftables} package): one netlink
 * transaction, so a refused file changes nothing. A prefix runs it elsewhere, e.g.
 * {@code ip netns exec NS} for tests and benchmarks that must not touch the host's ruleset.
 */
public final class NftCommand implements RulesApplier {
  public static final String NFT = "/usr/sbin/nft";
  private static final long TIMEOUT_SECONDS = 60;

  private final List<String> prefix;
  private final String nft;

  /** {@code nft} on this host's own ruleset. */
  public NftCommand() {
    this(List.of());
  }

  /** @param prefix the command that runs {@code nft}, e.g. {@code [ip, netns, exec, NS]} */
  public NftCommand(List<String> prefix) {
    this.prefix = List.copyOf(prefix);
    this.nft = Files.isExecutable(Path.of(NFT)) ? NFT : "nft";
  }

  /** {@code nft} inside a network namespace made by {@code ip netns add NAME}. */
  public static NftCommand inNamespace(String netns) {
    return new NftCommand(List.of("ip", "netns", "exec", netns));
  }

  /** Fails, saying how to install it, when {@code nft} cannot run here. */
  public static void requireInstalled() {
    try {
      Process p = new ProcessBuilder("nft", "--version").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      if (p.waitFor() != 0) {
        throw new IllegalStateException("nft --version failed; install nftables (apt-get install -y nftables)");
      }
    } catch (IOException e) {
      throw new IllegalStateException("nft is not installed: apt-get install -y nftables", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /**
   * Lets DNAT send 127.0.0.1-addressed packets out of the host ({@code net.ipv4.conf.all.route_localnet=1}),
   * which NodePorts on 127.0.0.1 need, as kube-proxy's iptables mode sets it.
   */
  public static void enableRouteLocalnet() {
    Path sysctl = Path.of("/proc/sys/net/ipv4/conf/all/route_localnet");
    try {
      if (!"1".equals(Files.readString(sysctl).strip())) {
        Files.writeString(sysctl, "1");
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot set " + sysctl + " to 1 (NodePorts on 127.0.0.1 need it; run as root): "
          + e.getMessage(), e);
    }
  }

  @Override
  public void apply(String transaction) throws RulesRefused {
    Path file = null;
    try {
      file = Files.createTempFile("capstan-proxy-", ".nft");
      Files.writeString(file, transaction, StandardCharsets.UTF_8);
      List<String> cmd = new ArrayList<>(prefix);
      cmd.add(nft);
      cmd.add("-f");
      cmd.add(file.toString());
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
          .start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new RulesRefused("nft -f did not finish in " + TIMEOUT_SECONDS + " s");
      }
      if (p.exitValue() != 0) {
        String msg = new String(out, StandardCharsets.UTF_8).strip();
        throw new RulesRefused("nft -f exited " + p.exitValue() + ": " + shorten(msg));
      }
    } catch (IOException e) {
      throw new RulesRefused("nft -f could not run: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RulesRefused("interrupted while nft -f ran", e);
    } finally {
      if (file != null) {
        try {
          Files.deleteIfExists(file);
        } catch (IOException ignored) {
          // a temp file left behind is harmless
        }
      }
    }
  }

  private static String shorten(String s) {
    return s.length() <= 2000 ? s : s.substring(0, 2000) + " …";
  }
}
