package io.capstan.nodeagent.stats;

import io.capstan.nodeagent.runtime.ResourceUsage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Reads a cgroup's CPU time and memory working set as cadvisor does for kubelet. cgroup v1 (and
 * the v1 controllers of a hybrid host): {@code cpuacct.usage} (nanoseconds) and {@code
 * memory.usage_in_bytes} less {@code total_inactive_file} of {@code memory.stat}. cgroup v2:
 * {@code usage_usec} of {@code cpu.stat} and {@code memory.current} less {@code inactive_file};
 * the v2 root has no {@code memory.current}, so the node's memory comes from {@code
 * /proc/meminfo} there (total less free, less the inactive file cache). The working set is never
 * below zero. Each read opens the files anew: nothing is kept open or polled.
 */
public final class Cgroups {
  /** Which hierarchy the host mounts at {@code /sys/fs/cgroup}. */
  public enum Version { V1, V2 }

  private final Path root;
  private final Version version;
  private final Path meminfo;

  public Cgroups(Path root, Version version, Path meminfo) {
    this.root = root;
    this.version = version;
    this.meminfo = meminfo;
  }

  /** This host's cgroups: v2 when {@code /sys/fs/cgroup} is the unified hierarchy itself, else v1. */
  public static Cgroups host() {
    Path root = Path.of("/sys/fs/cgroup");
    return new Cgroups(root, detect(root), Path.of("/proc/meminfo"));
  }

  static Version detect(Path root) {
    return Files.exists(root.resolve("cgroup.controllers")) ? Version.V2 : Version.V1;
  }

  public Version version() {
    return version;
  }

  /**
   * The cgroup's usage now, or empty when it is not there (the container ended and its cgroup
   * went).
   *
   * @param path the cgroup relative to the hierarchy's root ({@code capstan/<sandbox>/<container>}), "" for the root
   */
  public Optional<ResourceUsage> read(String path, Instant now) {
    try {
      return Optional.of(version == Version.V1 ? readV1(path, now) : readV2(path, now));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException | NumberFormatException e) {
      throw new IllegalStateException("cannot read the " + version + " cgroup \"/" + path + "\" under " + root + ": "
          + e.getMessage(), e);
    }
  }

  private ResourceUsage readV1(String path, Instant now) throws IOException {
    Path cpuacct = Files.isDirectory(root.resolve("cpuacct")) ? root.resolve("cpuacct") : root.resolve("cpu,cpuacct");
    long cpu = number(cpuacct.resolve(path).resolve("cpuacct.usage"));
    Path memory = root.resolve("memory").resolve(path);
    long usage = number(memory.resolve("memory.usage_in_bytes"));
    long inactive = statField(memory.resolve("memory.stat"), "total_inactive_file");
    return new ResourceUsage(now, cpu, Math.max(0, usage - inactive));
  }

  private ResourceUsage readV2(String path, Instant now) throws IOException {
    Path dir = root.resolve(path);
    long cpu = statField(dir.resolve("cpu.stat"), "usage_usec") * 1_000;
    long workingSet;
    if (path.isEmpty() || !Files.exists(dir.resolve("memory.current"))) {
      List<String> lines = Files.readAllLines(meminfo);
      long used = meminfoField(lines, "MemTotal") - meminfoField(lines, "MemFree");
      workingSet = used - meminfoField(lines, "Inactive(file)");
    } else {
      workingSet = number(dir.resolve("memory.current")) - statField(dir.resolve("memory.stat"), "inactive_file");
    }
    return new ResourceUsage(now, cpu, Math.max(0, workingSet));
  }

  private static long number(Path file) throws IOException {
    return Long.parseLong(Files.readString(file).strip());
  }

  /** A {@code key value} line of a flat-keyed file ({@code memory.stat}, {@code cpu.stat}); 0 when absent. */
  static long statField(Path file, String key) throws IOException {
    for (String line : Files.readAllLines(file)) {
      int space = line.indexOf(' ');
      if (space > 0 && line.substring(0, space).equals(key)) {
        return Long.parseLong(line.substring(space + 1).strip());
      }
    }
    return 0;
  }

  /** A {@code Key:   123 kB} line of /proc/meminfo, in bytes. */
  private static long meminfoField(List<String> lines, String key) {
    for (String line : lines) {
      if (line.startsWith(key + ":")) {
        String[] parts = line.substring(key.length() + 1).strip().split("\\s+");
        return Long.parseLong(parts[0]) * (parts.length > 1 && parts[1].equalsIgnoreCase("kB") ? 1024 : 1);
      }
    }
    return 0;
  }
}
