package io.capstan.nodeagent.sync;

import io.capstan.api.Container;
import io.capstan.api.Pod;
import io.capstan.api.Volume;
import io.capstan.api.VolumeMount;
import io.capstan.nodeagent.runtime.ContainerConfig;
import io.capstan.nodeagent.volume.AtomicWriter;
import io.capstan.nodeagent.volume.FileProjection;
import io.capstan.nodeagent.volume.ServiceAccountTokenSource;
import io.capstan.nodeagent.volume.TokenCache;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pod's volumes on this node, under {@code <pod dir>/volumes/<name>} (kubelet's
 * {@code pods/<uid>/volumes/<plugin>/<name>}): emptyDir as a directory, hostPath as the host's
 * path, persistentVolumeClaim as its bound volume's directory ({@link ClaimVolumes}); configMap, secret, downwardAPI and projected volumes as files ({@link VolumeFiles}) written
 * whole by the {@link AtomicWriter}, and written again when what they hold changes
 * ({@link #refresh}), so running containers see ConfigMap and Secret updates and renewed tokens.
 * Other volume types are refused with a FailedMount message.
 */
final class PodVolumes {
  static final int DEFAULT_MODE = 0644;

  /** A volume could not be set up (kubelet's FailedMount); the pod stays ContainerCreating. */
  static final class MountError extends Exception {
    MountError(String message) {
      super(message);
    }
  }

  /** What was last written into a pod's API-sourced volumes, by volume name (its worker's alone). */
  static final class Written {
    final Map<String, Map<String, FileProjection>> files = new HashMap<>();
  }

  private PodVolumes() {}

  /** Sets up every volume of the pod and returns where each is on the host. */
  static Map<String, Path> prepare(Pod pod, Path podDir, ConfigSource config) throws MountError {
    return prepare(pod, podDir, config, new TokenCache(ServiceAccountTokenSource.NONE, Clock.systemUTC()),
        new Written(), Clock.systemUTC());
  }

  /** Sets up every volume of the pod and returns where each is on the host. */
  static Map<String, Path> prepare(Pod pod, Path podDir, ConfigSource config, TokenCache tokens, Written written,
      Clock clock) throws MountError {
    Map<String, Path> out = new LinkedHashMap<>();
    if (pod.getSpec().getVolumes() == null) {
      return out;
    }
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
        } else if (v.getPersistentVolumeClaim() != null) {
          out.put(v.getName(), ClaimVolumes.hostPath(pod, v, config));
        } else if (VolumeFiles.isProjected(v)) {
          Map<String, FileProjection> files = VolumeFiles.of(pod, v, config, tokens);
          new AtomicWriter(clock).write(dir, files);
          written.files.put(v.getName(), files);
          out.put(v.getName(), dir);
        } else {
          throw new MountError("MountVolume.SetUp failed for volume \"" + v.getName()
              + "\" : this node supports emptyDir, hostPath, persistentVolumeClaim, configMap, secret, downwardAPI and "
              + "projected volumes only");
        }
      } catch (IOException e) {
        throw new MountError("MountVolume.SetUp failed for volume \"" + v.getName() + "\" : " + e.getMessage());
      }
    }
    return out;
  }

  /**
   * Writes the API-sourced volumes of a running pod again where what they hold changed (a
   * ConfigMap or Secret updated, a token renewed, labels changed), as kubelet's periodic remount;
   * what cannot be read now keeps its last files. Returns the errors, one per volume.
   */
  static List<String> refresh(Pod pod, Path podDir, ConfigSource config, TokenCache tokens, Written written,
      Clock clock) {
    List<String> errors = new ArrayList<>();
    if (pod.getSpec().getVolumes() == null) {
      return errors;
    }
    for (Volume v : pod.getSpec().getVolumes()) {
      if (!VolumeFiles.isProjected(v)) {
        continue;
      }
      try {
        Map<String, FileProjection> files = VolumeFiles.of(pod, v, config, tokens);
        if (!files.equals(written.files.get(v.getName()))) {
          new AtomicWriter(clock).write(podDir.resolve("volumes").resolve(v.getName()), files);
          written.files.put(v.getName(), files);
        }
      } catch (MountError e) {
        errors.add(e.getMessage());
      } catch (IOException e) {
        errors.add("MountVolume.SetUp failed for volume \"" + v.getName() + "\" : " + e.getMessage());
      }
    }
    return errors;
  }

  /** Whether the pod has volumes whose files follow the API (and need {@link #refresh}). */
  static boolean hasProjectedVolumes(Pod pod) {
    return pod.getSpec().getVolumes() != null && pod.getSpec().getVolumes().stream().anyMatch(VolumeFiles::isProjected);
  }

  private static void write(Path file, byte[] content, int mode) throws IOException {
    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
    Files.write(tmp, content);
    Files.setPosixFilePermissions(tmp, AtomicWriter.permissions(mode));
    Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * The pod's volumes every container mounts read-only whatever its volumeMount says, as kubelet
   * does: claim volumes with {@code persistentVolumeClaim.readOnly}.
   */
  static Set<String> readOnlyVolumes(Pod pod) {
    Set<String> names = new HashSet<>();
    if (pod.getSpec().getVolumes() != null) {
      for (Volume v : pod.getSpec().getVolumes()) {
        if (v.getPersistentVolumeClaim() != null && Boolean.TRUE.equals(v.getPersistentVolumeClaim().getReadOnly())) {
          names.add(v.getName());
        }
      }
    }
    return names;
  }

  /**
   * The bind mounts of a container: its volumeMounts (read-only when the mount or the volume says
   * so, see {@link #readOnlyVolumes}), and the pod's /etc/hosts, /etc/hostname and /etc/resolv.conf.
   */
  static List<ContainerConfig.Mount> mounts(Container c, Map<String, Path> volumes, Set<String> readOnly,
      Path podDir) throws ConfigError {
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
        out.add(new ContainerConfig.Mount(host, m.getMountPath(),
            Boolean.TRUE.equals(m.getReadOnly()) || readOnly.contains(m.getName())));
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
