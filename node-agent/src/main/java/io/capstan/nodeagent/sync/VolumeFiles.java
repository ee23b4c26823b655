package io.capstan.nodeagent.sync;

import io.capstan.api.ConfigMap;
import io.capstan.api.ConfigMapProjection;
import io.capstan.api.DownwardAPIVolumeFile;
import io.capstan.api.KeyToPath;
import io.capstan.api.Pod;
import io.capstan.api.Secret;
import io.capstan.api.SecretProjection;
import io.capstan.api.ServiceAccountTokenProjection;
import io.capstan.api.Volume;
import io.capstan.api.VolumeProjection;
import io.capstan.nodeagent.volume.FileProjection;
import io.capstan.nodeagent.volume.TokenCache;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What the files of a configMap, secret, downwardAPI or projected volume are (kubelet's volume
 * plugins' payloads): relative path → content and mode. Pure but for the token it may ask for.
 */
final class VolumeFiles {
  static final int DEFAULT_MODE = 0644;

  private VolumeFiles() {}

  /** Whether the volume's files come from the API (and follow its changes). */
  static boolean isProjected(Volume v) {
    return v.getConfigMap() != null || v.getSecret() != null || v.getDownwardAPI() != null || v.getProjected() != null;
  }

  /** The files of one such volume; a source that cannot be read fails with kubelet's FailedMount words. */
  static Map<String, FileProjection> of(Pod pod, Volume v, ConfigSource config, TokenCache tokens)
      throws PodVolumes.MountError {
    String ns = pod.getMetadata().getNamespace();
    String failed = "MountVolume.SetUp failed for volume \"" + v.getName() + "\" : ";
    Map<String, FileProjection> out = new TreeMap<>();
    try {
      if (v.getConfigMap() != null) {
        var src = v.getConfigMap();
        Optional<ConfigMap> cm = config.configMap(ns, src.getName());
        if (cm.isEmpty() && !Boolean.TRUE.equals(src.getOptional())) {
          throw new PodVolumes.MountError(failed + "configmap \"" + src.getName() + "\" not found");
        }
        keys(out, cm.map(VolumeFiles::data).orElse(Map.of()), src.getItems(), mode(src.getDefaultMode()),
            Boolean.TRUE.equals(src.getOptional()), failed);
      } else if (v.getSecret() != null) {
        var src = v.getSecret();
        Optional<Secret> s = config.secret(ns, src.getSecretName());
        if (s.isEmpty() && !Boolean.TRUE.equals(src.getOptional())) {
          throw new PodVolumes.MountError(failed + "secret \"" + src.getSecretName() + "\" not found");
        }
        keys(out, s.map(VolumeFiles::data).orElse(Map.of()), src.getItems(), mode(src.getDefaultMode()),
            Boolean.TRUE.equals(src.getOptional()), failed);
      } else if (v.getDownwardAPI() != null) {
        downward(out, pod, v.getDownwardAPI().getItems(), mode(v.getDownwardAPI().getDefaultMode()), failed);
      } else if (v.getProjected() != null) {
        int mode = mode(v.getProjected().getDefaultMode());
        List<VolumeProjection> sources = v.getProjected().getSources() == null ? List.of() : v.getProjected().getSources();
        for (VolumeProjection p : sources) {
          if (p.getConfigMap() != null) {
            ConfigMapProjection src = p.getConfigMap();
            Optional<ConfigMap> cm = config.configMap(ns, src.getName());
            if (cm.isEmpty() && !Boolean.TRUE.equals(src.getOptional())) {
              throw new PodVolumes.MountError(failed + "configmap \"" + src.getName() + "\" not found");
            }
            keys(out, cm.map(VolumeFiles::data).orElse(Map.of()), src.getItems(), mode,
                Boolean.TRUE.equals(src.getOptional()), failed);
          } else if (p.getSecret() != null) {
            SecretProjection src = p.getSecret();
            Optional<Secret> s = config.secret(ns, src.getName());
            if (s.isEmpty() && !Boolean.TRUE.equals(src.getOptional())) {
              throw new PodVolumes.MountError(failed + "secret \"" + src.getName() + "\" not found");
            }
            keys(out, s.map(VolumeFiles::data).orElse(Map.of()), src.getItems(), mode,
                Boolean.TRUE.equals(src.getOptional()), failed);
          } else if (p.getDownwardAPI() != null) {
            downward(out, pod, p.getDownwardAPI().getItems(), mode, failed);
          } else if (p.getServiceAccountToken() != null) {
            ServiceAccountTokenProjection src = p.getServiceAccountToken();
            long seconds = src.getExpirationSeconds() == null ? 3600 : src.getExpirationSeconds();
            String token;
            try {
              token = tokens.token(pod, src.getAudience(), seconds);
            } catch (IOException e) {
              throw new PodVolumes.MountError(failed + "failed to fetch token: " + e.getMessage());
            }
            out.put(src.getPath(), new FileProjection(token.getBytes(StandardCharsets.UTF_8), mode));
          }
        }
      }
    } catch (ConfigError e) {
      throw new PodVolumes.MountError(failed + e.getMessage());
    }
    for (String path : out.keySet()) {
      try {
        io.capstan.nodeagent.volume.AtomicWriter.validatePath(path);
      } catch (IllegalArgumentException e) {
        throw new PodVolumes.MountError(failed + e.getMessage());
      }
    }
    return out;
  }

  private static int mode(Integer defaultMode) {
    return defaultMode == null ? DEFAULT_MODE : defaultMode;
  }

  /** All keys, or the items chosen (a missing key fails unless the source is optional, as kubelet). */
  private static void keys(Map<String, FileProjection> out, Map<String, byte[]> data, List<KeyToPath> items, int mode,
      boolean optional, String failed) throws PodVolumes.MountError {
    if (items == null || items.isEmpty()) {
      data.forEach((k, v) -> out.put(k, new FileProjection(v, mode)));
      return;
    }
    for (KeyToPath item : items) {
      byte[] v = data.get(item.getKey());
      if (v == null) {
        if (optional) {
          continue;
        }
        throw new PodVolumes.MountError(failed + "configured key " + item.getKey() + " not found");
      }
      out.put(item.getPath(), new FileProjection(v, item.getMode() == null ? mode : item.getMode()));
    }
  }

  private static void downward(Map<String, FileProjection> out, Pod pod, List<DownwardAPIVolumeFile> items, int mode,
      String failed) throws ConfigError {
    if (items == null) {
      return;
    }
    for (DownwardAPIVolumeFile f : items) {
      String value;
      if (f.getFieldRef() != null) {
        value = field(pod, f.getFieldRef().getFieldPath());
      } else if (f.getResourceFieldRef() != null) {
        value = ContainerProcess.resourceValue(pod, null, f.getResourceFieldRef());
      } else {
        throw new ConfigError("downwardAPI file " + f.getPath() + " names neither fieldRef nor resourceFieldRef");
      }
      out.put(f.getPath(), new FileProjection(value.getBytes(StandardCharsets.UTF_8), f.getMode() == null ? mode : f.getMode()));
    }
  }

  /** A downwardAPI volume's fieldRef: the pod's name, namespace, uid, labels or annotations (whole or one key). */
  static String field(Pod pod, String path) throws ConfigError {
    var m = pod.getMetadata();
    return switch (path) {
      case "metadata.labels" -> formatMap(m.getLabels());
      case "metadata.annotations" -> formatMap(m.getAnnotations());
      case "metadata.name", "metadata.namespace", "metadata.uid" -> ContainerProcess.fieldRef(pod, path, null, "");
      default -> {
        if (path.startsWith("metadata.labels['") || path.startsWith("metadata.annotations['")) {
          yield ContainerProcess.fieldRef(pod, path, null, "");
        }
        throw new ConfigError("unsupported fieldRef fieldPath \"" + path + "\" in a downwardAPI volume");
      }
    };
  }

  /** kubelet's {@code fieldpath.FormatMap}: {@code key="value"} lines, sorted by key, quoted as Go's %q. */
  static String formatMap(Map<String, String> m) {
    if (m == null || m.isEmpty()) {
      return "";
    }
    StringBuilder b = new StringBuilder();
    for (var e : new TreeMap<>(m).entrySet()) {
      if (b.length() > 0) {
        b.append('\n');
      }
      b.append(e.getKey()).append('=').append(quote(e.getValue()));
    }
    return b.toString();
  }

  private static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\t' -> b.append("\\t");
        case '\r' -> b.append("\\r");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            b.append(String.format("\\x%02x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }

  private static Map<String, byte[]> data(ConfigMap c) {
    Map<String, byte[]> data = new LinkedHashMap<>();
    if (c.getData() != null) {
      c.getData().forEach((k, val) -> data.put(k, val.getBytes(StandardCharsets.UTF_8)));
    }
    if (c.getBinaryData() != null) {
      c.getBinaryData().forEach((k, val) -> data.put(k, bytes(val)));
    }
    return data;
  }

  private static Map<String, byte[]> data(Secret s) {
    Map<String, byte[]> data = new LinkedHashMap<>();
    if (s.getData() != null) {
      s.getData().forEach((k, v) -> data.put(k, bytes(v)));
    }
    if (s.getStringData() != null) {
      s.getStringData().forEach((k, v) -> data.put(k, v.getBytes(StandardCharsets.UTF_8)));
    }
    return data;
  }

  private static byte[] bytes(ByteBuffer b) {
    ByteBuffer d = b.duplicate();
    byte[] out = new byte[d.remaining()];
    d.get(out);
    return out;
  }
}
