package io.capstan.nodeagent.node;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Locale;
import java.util.Optional;

/**
 * What this machine has, read as kubelet's cadvisor does: cpus, memory from {@code
 * /proc/meminfo}, the data dir's filesystem for ephemeral storage, the hostname and an address,
 * the kernel, OS image, machine id and boot id.
 */
public record MachineInfo(int cpus, long memoryBytes, long ephemeralStorageBytes, String hostname, String internalIp,
    String kernelVersion, String osImage, String machineId, String bootId, String architecture) {

  public static MachineInfo read(Path dataDir) {
    return new MachineInfo(Runtime.getRuntime().availableProcessors(), memInfo("MemTotal").orElse(0L),
        diskTotal(dataDir), readHostname(), readInternalIp(), firstLine(Path.of("/proc/sys/kernel/osrelease")).orElse(""),
        readOsImage(), firstLine(Path.of("/etc/machine-id")).orElse(""),
        firstLine(Path.of("/proc/sys/kernel/random/boot_id")).orElse(""), goArch());
  }

  /** A field of /proc/meminfo in bytes (the file says kB). */
  public static Optional<Long> memInfo(String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith(field + ":")) {
          String[] parts = line.substring(field.length() + 1).trim().split("\\s+");
          return Optional.of(Long.parseLong(parts[0]) * 1024);
        }
      }
    } catch (IOException | NumberFormatException e) {
      // not Linux, or unreadable
    }
    return Optional.empty();
  }

  static long diskTotal(Path dir) {
    try {
      Files.createDirectories(dir);
      return Files.getFileStore(dir).getTotalSpace();
    } catch (IOException e) {
      return 0;
    }
  }

  /** Free bytes on the data dir's filesystem, for DiskPressure. */
  public static long diskAvailable(Path dir) {
    try {
      FileStore fs = Files.getFileStore(dir);
      return fs.getUsableSpace();
    } catch (IOException e) {
      return Long.MAX_VALUE;
    }
  }

  public static String readHostname() {
    Optional<String> h = firstLine(Path.of("/proc/sys/kernel/hostname"));
    if (h.isPresent() && !h.get().isBlank()) {
      return h.get().trim().toLowerCase(Locale.ROOT);
    }
    try {
      return InetAddress.getLocalHost().getHostName().toLowerCase(Locale.ROOT);
    } catch (IOException e) {
      return "localhost";
    }
  }

  /**
   * The node's address, as kubelet chooses it (apimachinery's {@code ChooseHostInterface}): the
   * first IPv4 address of the interface of the default route ({@code /proc/net/route}, lowest
   * metric); without one, the first non-loopback IPv4 address of an interface that is up, other
   * than the pod network's bridge and veths (which come and go with pods, and the interfaces'
   * order puts a new bridge first); 127.0.0.1 when there is none.
   */
  public static String readInternalIp() {
    try {
      Optional<String> viaDefaultRoute = defaultRouteInterface(Files.readAllLines(Path.of("/proc/net/route")))
          .flatMap(MachineInfo::ipv4Of);
      if (viaDefaultRoute.isPresent()) {
        return viaDefaultRoute.get();
      }
    } catch (IOException e) {
      // not Linux: by the interfaces
    }
    try {
      for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        if (!nic.isUp() || nic.isLoopback() || nic.getName().equals(POD_BRIDGE) || nic.getName().startsWith("veth")) {
          continue;
        }
        Optional<String> a = ipv4Of(nic);
        if (a.isPresent()) {
          return a.get();
        }
      }
    } catch (SocketException e) {
      // fall through
    }
    return "127.0.0.1";
  }

  /** The pod network's bridge (PodNetwork's), never the node's address. */
  public static final String POD_BRIDGE = "capstan0";

  /** The interface of the default route with the lowest metric in {@code /proc/net/route}'s lines. */
  static Optional<String> defaultRouteInterface(java.util.List<String> routeLines) {
    String best = null;
    long bestMetric = Long.MAX_VALUE;
    for (String line : routeLines.subList(Math.min(1, routeLines.size()), routeLines.size())) {
      String[] f = line.trim().split("\\s+");
      if (f.length < 8 || !f[1].equals("00000000") || !f[7].equals("00000000")) {
        continue; // not a default route (destination and mask 0)
      }
      try {
        int flags = Integer.parseInt(f[3], 16);
        long metric = Long.parseLong(f[6]);
        if ((flags & 1) != 0 && metric < bestMetric) { // RTF_UP
          best = f[0];
          bestMetric = metric;
        }
      } catch (NumberFormatException e) {
        // a line we cannot read
      }
    }
    return Optional.ofNullable(best);
  }

  private static Optional<String> ipv4Of(String interfaceName) {
    try {
      NetworkInterface nic = NetworkInterface.getByName(interfaceName);
      return nic == null || !nic.isUp() ? Optional.empty() : ipv4Of(nic);
    } catch (SocketException e) {
      return Optional.empty();
    }
  }

  private static Optional<String> ipv4Of(NetworkInterface nic) {
    for (InetAddress a : Collections.list(nic.getInetAddresses())) {
      if (a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
        return Optional.of(a.getHostAddress());
      }
    }
    return Optional.empty();
  }

  static String readOsImage() {
    try {
      for (String line : Files.readAllLines(Path.of("/etc/os-release"))) {
        if (line.startsWith("PRETTY_NAME=")) {
          return line.substring("PRETTY_NAME=".length()).replace("\"", "");
        }
      }
    } catch (IOException e) {
      // no os-release
    }
    return System.getProperty("os.name");
  }

  /** Go's GOARCH names, as the kubernetes.io/arch label uses them. */
  static String goArch() {
    String a = System.getProperty("os.arch", "");
    return switch (a) {
      case "amd64", "x86_64" -> "amd64";
      case "aarch64", "arm64" -> "arm64";
      case "ppc64le" -> "ppc64le";
      case "s390x" -> "s390x";
      default -> a;
    };
  }

  static Optional<String> firstLine(Path p) {
    try {
      return Files.readAllLines(p).stream().findFirst().map(String::trim);
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
