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

  /** The first non-loopback IPv4 address of an interface that is up; 127.0.0.1 when there is none. */
  public static String readInternalIp() {
    try {
      for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        if (!nic.isUp() || nic.isLoopback()) {
          continue;
        }
        for (InetAddress a : Collections.list(nic.getInetAddresses())) {
          if (a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
            return a.getHostAddress();
          }
        }
      }
    } catch (SocketException e) {
      // fall through
    }
    return "127.0.0.1";
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
