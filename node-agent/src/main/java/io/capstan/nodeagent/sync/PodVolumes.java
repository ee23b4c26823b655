package io.capstan.nodeagent.sync;

import io.capstan.api.ConfigMap;
import io.capstan.api.Container;
import io.capstan.api.KeyToPath;
import io.capstan.api.Pod;
import io.capstan.api.Secret;
import io.capstan.api.Volume;
import io.capstan.api.VolumeMount;
import io.capstan.nodeagent.runtime.ContainerConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A pod's volumes on this node, under {@code <pod dir>/volumes/<name>} (kubelet's
 * {@code pods/<uid>/volumes/<plugin>/<name>}): emptyDir as a directory, hostPath as the host's
 * path, configMap and secret as files (all keys, or the {@code items} chosen, with the mode
 * asked for). Other volume types are refused with a FailedMount message.
 */
final class PodVolumes {
  static final int DEFAULT_MODE = 0644;

  /** A volume could not be set up (kubelet's FailedMount); the pod stays ContainerCreating. */
  static final class MountError extends Exception {
    MountError(String message) {
      super(message);
    }
  }

  private PodVolumes() {}

  /** Sets up every volume of the pod and returns where each is on the host. */
  static Map<String, Path> prepare(Pod pod, Path podDir, ConfigSource config) throws MountError {
    Map<String, Path> out = new LinkedHashMap<>();
    if (pod.getSpec().getVolumes() == null) {
      return out;
    }
    String ns = pod.getMetadata().getNamespace();
    for (Volume v : pod.getSpec().getVolumes()) {
      Path dir = podDir.resolve("volumes").resolve(v.getName());
      try {
        if (v.getEmptyDir() != null) {
          Files.createDirectories(dir);
          dir.toFile().setWritable(true, false);
          out.put(v.getName(), dir);
        } else if (v.getHostPath() != null) {
          Path p = Path.of(v.getHostPath().getPath());
          String type = v.getHostPath().getType() == null ? "" : v.getHostPath().getType();
          if (type.equals("DirectoryOrCreate")) {
            Files.createDirectories(p);
          } else if (type.equals("FileOrCreate") && !Files.exists(p)) {
            Files.createDirectories(p.getParent());
            Files.createFile(p);
          } else if ((type.equals("Directory") && !Files.isDirectory(p)) || (type.equals("File") && !Files.isRegularFile(p))) {
            throw new MountError("MountVolume.SetUp failed for volume \"" + v.getName() + "\" : hostPath type check failed: "
                + p + " is not a " + type);
          } else if (!Files.exists(p)) {
            Files.createDirectories(p); // an unset type mounts whatever is there; runc needs a source
          }
          out.put(v.getName(), p);
        } else if (v.getConfigMap() != null) {
          String name = v.getConfigMap().getName();
          Optional<ConfigMap> cm = config.configMap(ns, name);
          if (cm.isEmpty() && !Boolean.TRUE.equals(v.getConfigMap().getOptional())) {
            throw new MountError("MountVolume.SetUp failed for volume \"" + v.getName() + "\" : configmap \"" + name
                + "\" not found");
          }
          Map<String, byte[]> data = new LinkedHashMap<>();
          cm.ifPresent(c -> {
            if (c.getData() != null) {
              c.getData().forEach((k, val) -> data.put(k, val.getBytes(StandardCharsets.UTF_8)));
            }
            if (c.getBinaryData() != null) {
              c.getBinaryData().forEach((k, val) -> data.put(k, bytes(val)));
            }
          });
          writeFiles(v.getName(), dir, data, v.getConfigMap().getItems(), v.getConfigMap().getDefaultMode());
          out.put(v.getName(), dir);
        } else if (v.getSecret() != null) {
          String name = v.getSecret().getSecretName();
          Optional<Secret> s = config.secret(ns, name);
          if (s.isEmpty() && !Boolean.TRUE.equals(v.getSecret().getOptional())) {
            throw new MountError("MountVolume.SetUp failed for volume \"" + v.getName() + "\" : secret \"" + name
                + "\" not found");
          }
          Map<String, byte[]> data = new LinkedHashMap<>();
          s.ifPresent(sec -> ContainerProcess.secretData(sec).forEach((k, val) -> data.put(k, val.getBytes(StandardCharsets.UTF_8))));
          writeFiles(v.getName(), dir, data, v.getSecret().getItems(), v.getSecret().getDefaultMode());
          out.put(v.getName(), dir);
        } else {
          throw new MountError("MountVolume.SetUp failed for volume \"" + v.getName()
              + "\" : this node supports emptyDir, hostPath, configMap and secret volumes only");
        }
      } catch (IOException e) {
        throw new MountError("MountVolume.SetUp failed for volume \"" + v.getName() + "\" : " + e.getMessage());
      }
    }
    return out;
  }

  private static byte[] bytes(ByteBuffer b) {
    ByteBuffer d = b.duplicate();
    byte[] out = new byte[d.remaining()];
    d.get(out);
    return out;
  }

  private static void writeFiles(String volume, Path dir, Map<String, byte[]> data, List<KeyToPath> items,
      Integer defaultMode) throws IOException, MountError {
    Files.createDirectories(dir);
    int mode = defaultMode == null ? DEFAULT_MODE : defaultMode;
    if (items == null || items.isEmpty()) {
      for (var e : data.entrySet()) {
        write(dir.resolve(e.getKey()), e.getValue(), mode);
      }
      return;
    }
    for (KeyToPath item : items) {
      byte[] v = data.get(item.getKey());
      if (v == null) {
        throw new MountError("MountVolume.SetUp failed for volume \"" + volume + "\" : configured key " + item.getKey()
            + " not found");
      }
      Path target = dir.resolve(item.getPath()).normalize();
      if (!target.startsWith(dir)) {
        throw new MountError("MountVolume.SetUp failed for volume \"" + volume + "\" : path " + item.getPath()
            + " leaves the volume");
      }
      Files.createDirectories(target.getParent());
      write(target, v, item.getMode() == null ? mode : item.getMode());
    }
  }

  private static void write(Path file, byte[] content, int mode) throws IOException {
    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
    Files.write(tmp, content);
    Files.setPosixFilePermissions(tmp, permissions(mode));
    Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> p = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] order = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
        PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
        PosixFilePermission.GROUP_READ, PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
        PosixFilePermission.OWNER_READ};
    for (int i = 0; i < order.length; i++) {
      if ((mode & (1 << i)) != 0) {
        p.add(order[i]);
      }
    }
    return p;
  }

  /** The bind mounts of a container: its volumeMounts, and the pod's /etc/hosts, /etc/hostname and /etc/resolv.conf. */
  static List<ContainerConfig.Mount> mounts(Container c, Map<String, Path> volumes, Path podDir) throws ConfigError {
    List<ContainerConfig.Mount> out = new ArrayList<>();
    if (c.getVolumeMounts() != null) {
      for (VolumeMount m : c.getVolumeMounts()) {
        Path host = volumes.get(m.getName());
        if (host == null) {
          throw new ConfigError("cannot find volume \"" + m.getName() + "\" to mount into container \"" + c.getName() + "\"");
        }
        if (m.getSubPath() != null && !m.getSubPath().isEmpty()) {
          Path sub = host.resolve(m.getSubPath()).normalize();
          if (!sub.startsWith(host)) {
            throw new ConfigError("subPath \"" + m.getSubPath() + "\" of volume " + m.getName() + " leaves the volume");
          }
          try {
            if (!Files.exists(sub)) {
              Files.createDirectories(sub);
            }
          } catch (IOException e) {
            throw new ConfigError("cannot create subPath " + sub + ": " + e.getMessage());
          }
          host = sub;
        }
        out.add(new ContainerConfig.Mount(host, m.getMountPath(), Boolean.TRUE.equals(m.getReadOnly())));
      }
    }
    boolean ownHosts = out.stream().anyMatch(m -> m.containerPath().equals("/etc/hosts"));
    if (!ownHosts) {
      out.add(new ContainerConfig.Mount(podDir.resolve("etc-hosts"), "/etc/hosts", false));
    }
    out.add(new ContainerConfig.Mount(podDir.resolve("etc-hostname"), "/etc/hostname", true));
    if (Files.isRegularFile(podDir.resolve(RESOLV_CONF))) {
      out.add(new ContainerConfig.Mount(podDir.resolve(RESOLV_CONF), "/etc/resolv.conf", true));
    }
    return out;
  }

  /** The pod's resolv.conf (see {@link PodDns}), in the pod's directory. */
  static final String RESOLV_CONF = "etc-resolv.conf";

  static void writeResolvConf(Path podDir, io.capstan.nodeagent.dns.ResolvConf conf) throws IOException {
    Files.createDirectories(podDir);
    write(podDir.resolve(RESOLV_CONF), conf.render().getBytes(StandardCharsets.UTF_8), DEFAULT_MODE);
  }

  /** kubelet's managed /etc/hosts and /etc/hostname of a pod. */
  static void writeHostFiles(Path podDir, String hostname, String ip) throws IOException {
    Files.createDirectories(podDir);
    Files.writeString(podDir.resolve("etc-hosts"), "# Kubernetes-managed hosts file.\n"
        + "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" + ip + "\t" + hostname + "\n");
    Files.writeString(podDir.resolve("etc-hostname"), hostname + "\n");
  }
}
