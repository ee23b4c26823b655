package io.capstan.nodeagent.runtime.runc;

import io.capstan.nodeagent.runtime.ContainerConfig;
import io.capstan.nodeagent.runtime.ContainerConfig.Mount;
import io.capstan.nodeagent.runtime.ContainerConfig.Resources;
import io.capstan.nodeagent.runtime.ContainerConfig.Security;
import io.capstan.nodeagent.runtime.SandboxConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The OCI runtime spec ({@code config.json}) of a container, as a JSON tree: the process
 * (args, env, cwd, user, capabilities), the root (read-only when asked), the usual mounts
 * ({@code /proc}, {@code /dev}, {@code /sys}, …) plus the volumes as bind mounts, namespaces and
 * cgroup resources. The defaults follow what containerd gives a Kubernetes container.
 */
final class OciSpec {
  /** containerd's default capability set (the Docker one). */
  static final List<String> DEFAULT_CAPABILITIES = List.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER",
      "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
      "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE");
  static final List<String> ALL_CAPABILITIES = List.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH",
      "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
      "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
      "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN",
      "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
      "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP");
  static final List<String> MASKED_PATHS = List.of("/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
      "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware");
  static final List<String> READONLY_PATHS = List.of("/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq",
      "/proc/sys", "/proc/sysrq-trigger");

  private OciSpec() {}

  /**
   * @param rootfs      the bundle's root filesystem (the overlay mount point)
   * @param cgroupsPath the container's cgroup, relative to each controller's hierarchy
   */
  /**
   * @param netns the pod's network namespace file, or null for the host's network
   * @param pidns the process namespace to join (an ephemeral container's target), or null for a new one
   */
  static Map<String, Object> build(SandboxConfig sandbox, ContainerConfig c, String rootfs, String cgroupsPath,
      java.nio.file.Path netns, java.nio.file.Path pidns) {
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("ociVersion", "1.0.2");
    Map<String, Object> process = new LinkedHashMap<>();
    process.put("terminal", false);
    Security sec = c.security();
    process.put("user", Map.of("uid", sec.uid(), "gid", sec.gid()));
    process.put("args", c.args());
    process.put("env", c.env());
    process.put("cwd", c.workingDir().isEmpty() ? "/" : c.workingDir());
    List<String> caps = capabilities(sec);
    Map<String, Object> capabilities = new LinkedHashMap<>();
    capabilities.put("bounding", caps);
    capabilities.put("effective", sec.uid() == 0 ? caps : List.of());
    capabilities.put("permitted", caps);
    process.put("capabilities", capabilities);
    // No rlimits: the container inherits the agent's (a NOFILE above the host's nr_open is refused).
    process.put("noNewPrivileges", false);
    spec.put("process", process);
    spec.put("root", Map.of("path", rootfs, "readonly", sec.readOnlyRootFilesystem()));
    spec.put("hostname", sandbox.hostname());

    List<Map<String, Object>> mounts = new ArrayList<>();
    mounts.add(mount("/proc", "proc", "proc", List.of("nosuid", "noexec", "nodev")));
    mounts.add(mount("/dev", "tmpfs", "tmpfs", List.of("nosuid", "strictatime", "mode=755", "size=65536k")));
    mounts.add(mount("/dev/pts", "devpts", "devpts",
        List.of("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5")));
    mounts.add(mount("/dev/shm", "tmpfs", "shm", List.of("nosuid", "noexec", "nodev", "mode=1777", "size=65536k")));
    mounts.add(mount("/dev/mqueue", "mqueue", "mqueue", List.of("nosuid", "noexec", "nodev")));
    mounts.add(mount("/sys", "sysfs", "sysfs", List.of("nosuid", "noexec", "nodev", "ro")));
    mounts.add(mount("/sys/fs/cgroup", "cgroup", "cgroup", List.of("nosuid", "noexec", "nodev", "relatime", "ro")));
    for (Mount m : c.mounts()) {
      mounts.add(mount(m.containerPath(), "bind", m.hostPath().toString(),
          List.of("rbind", "rprivate", m.readOnly() ? "ro" : "rw")));
    }
    spec.put("mounts", mounts);

    Map<String, Object> linux = new LinkedHashMap<>();
    List<Map<String, Object>> namespaces = new ArrayList<>();
    namespaces.add(pidns == null ? Map.of("type", "pid") : Map.of("type", "pid", "path", pidns.toString()));
    namespaces.add(Map.of("type", "ipc"));
    namespaces.add(Map.of("type", "uts"));
    namespaces.add(Map.of("type", "mount"));
    if (netns != null) {
      // The pod's containers join the sandbox's namespace, where CNI put eth0 and lo.
      namespaces.add(Map.of("type", "network", "path", netns.toString()));
    }
    linux.put("namespaces", namespaces);
    linux.put("cgroupsPath", cgroupsPath);
    linux.put("resources", resources(c.resources()));
    linux.put("maskedPaths", MASKED_PATHS);
    linux.put("readonlyPaths", READONLY_PATHS);
    spec.put("linux", linux);
    return spec;
  }

  static Map<String, Object> resources(Resources r) {
    Map<String, Object> res = new LinkedHashMap<>();
    res.put("devices", List.of(Map.of("allow", false, "access", "rwm")));
    Map<String, Object> cpu = new LinkedHashMap<>();
    cpu.put("shares", r.cpuShares());
    if (r.cpuQuotaMicros() > 0) {
      cpu.put("quota", r.cpuQuotaMicros());
      cpu.put("period", r.cpuPeriodMicros());
    }
    res.put("cpu", cpu);
    if (r.memoryLimitBytes() > 0) {
      // No swap beyond the limit, as kubelet sets memory.memsw.limit_in_bytes where it can.
      res.put("memory", Map.of("limit", r.memoryLimitBytes()));
    }
    if (r.pidsLimit() > 0) {
      res.put("pids", Map.of("limit", r.pidsLimit()));
    }
    return res;
  }

  static List<String> capabilities(Security sec) {
    if (sec.privileged()) {
      return ALL_CAPABILITIES;
    }
    Set<String> caps = new LinkedHashSet<>(DEFAULT_CAPABILITIES);
    for (String d : sec.dropCapabilities()) {
      if (d.equalsIgnoreCase("ALL")) {
        caps.clear();
      } else {
        caps.remove(capName(d));
      }
    }
    for (String a : sec.addCapabilities()) {
      if (a.equalsIgnoreCase("ALL")) {
        caps.addAll(ALL_CAPABILITIES);
      } else {
        caps.add(capName(a));
      }
    }
    return List.copyOf(caps);
  }

  /** Kubernetes writes {@code NET_ADMIN}; the OCI spec wants {@code CAP_NET_ADMIN}. */
  static String capName(String c) {
    String u = c.toUpperCase(Locale.ROOT);
    return u.startsWith("CAP_") ? u : "CAP_" + u;
  }

  private static Map<String, Object> mount(String destination, String type, String source, List<String> options) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("destination", destination);
    m.put("type", type);
    m.put("source", source);
    m.put("options", options);
    return m;
  }
}
