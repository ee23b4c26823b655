package io.capstan.nodeagent.sync;

import io.capstan.api.ConfigMap;
import io.capstan.api.Container;
import io.capstan.api.EnvFromSource;
import io.capstan.api.EnvVar;
import io.capstan.api.EnvVarSource;
import io.capstan.api.Pod;
import io.capstan.api.Secret;
import io.capstan.logschema.resource.Quantity;
import io.capstan.nodeagent.runtime.ImageInfo;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A container's process as Kubernetes defines it: the command from {@code command}/{@code args}
 * and the image's ENTRYPOINT/CMD, the environment from the image, {@code envFrom} and {@code env}
 * (with {@code valueFrom}), and {@code $(VAR)} references expanded in both.
 */
final class ContainerProcess {
  private ContainerProcess() {}

  /**
   * As in the Kubernetes docs "Define a Command and Arguments for a Container": command replaces
   * ENTRYPOINT (and drops CMD); args replace CMD.
   */
  static List<String> args(Container c, ImageInfo image, Map<String, String> env) {
    List<String> command = c.getCommand() == null ? List.of() : c.getCommand();
    List<String> args = c.getArgs() == null ? List.of() : c.getArgs();
    List<String> out = new ArrayList<>();
    if (!command.isEmpty()) {
      out.addAll(command);
      out.addAll(args);
    } else {
      out.addAll(image.entrypoint());
      out.addAll(args.isEmpty() ? image.cmd() : args);
    }
    return out.stream().map(s -> expand(s, env)).toList();
  }

  /**
   * The environment, in order: image, the Services' variables ({@link ServiceEnv}), envFrom, env
   * (later wins), as {@code NAME -> value}; env may refer to the Services' variables.
   */
  static Map<String, String> env(Pod pod, Container c, ImageInfo image, ConfigSource config, PodIps ips)
      throws ConfigError {
    String ns = pod.getMetadata().getNamespace();
    Map<String, String> env = new LinkedHashMap<>();
    for (String kv : image.env()) {
      int eq = kv.indexOf('=');
      if (eq > 0) {
        env.put(kv.substring(0, eq), kv.substring(eq + 1));
      }
    }
    env.putAll(ServiceEnv.of(pod, config.services(ns),
        config.service(ServiceEnv.MASTER_NAMESPACE, ServiceEnv.MASTER_SERVICE)));
    if (c.getEnvFrom() != null) {
      for (EnvFromSource from : c.getEnvFrom()) {
        String prefix = from.getPrefix() == null ? "" : from.getPrefix();
        if (from.getConfigMapRef() != null) {
          String name = from.getConfigMapRef().getName();
          Optional<ConfigMap> cm = config.configMap(ns, name);
          if (cm.isEmpty() && !Boolean.TRUE.equals(from.getConfigMapRef().getOptional())) {
            throw new ConfigError("configmap \"" + name + "\" not found");
          }
          cm.map(ConfigMap::getData).ifPresent(d -> d.forEach((k, v) -> env.put(prefix + k, v)));
        }
        if (from.getSecretRef() != null) {
          String name = from.getSecretRef().getName();
          Optional<Secret> s = config.secret(ns, name);
          if (s.isEmpty() && !Boolean.TRUE.equals(from.getSecretRef().getOptional())) {
            throw new ConfigError("secret \"" + name + "\" not found");
          }
          s.ifPresent(sec -> secretData(sec).forEach((k, v) -> env.put(prefix + k, v)));
        }
      }
    }
    if (c.getEnv() != null) {
      for (EnvVar e : c.getEnv()) {
        String value;
        if (e.getValueFrom() != null) {
          value = valueFrom(pod, c, e.getName(), e.getValueFrom(), config, ips);
          if (value == null) {
            continue; // an optional reference that is missing: the variable is not set
          }
        } else {
          value = expand(e.getValue() == null ? "" : e.getValue(), env);
        }
        env.put(e.getName(), value);
      }
    }
    return env;
  }

  static Map<String, String> secretData(Secret s) {
    Map<String, String> out = new LinkedHashMap<>();
    if (s.getData() != null) {
      s.getData().forEach((k, v) -> {
        java.nio.ByteBuffer b = v.duplicate();
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        out.put(k, new String(bytes, StandardCharsets.UTF_8));
      });
    }
    if (s.getStringData() != null) {
      out.putAll(s.getStringData());
    }
    return out;
  }

  private static String valueFrom(Pod pod, Container c, String var, EnvVarSource from, ConfigSource config,
      PodIps ips) throws ConfigError {
    String ns = pod.getMetadata().getNamespace();
    if (from.getConfigMapKeyRef() != null) {
      var ref = from.getConfigMapKeyRef();
      Optional<ConfigMap> cm = config.configMap(ns, ref.getName());
      String v = cm.map(ConfigMap::getData).map(d -> d.get(ref.getKey())).orElse(null);
      if (v == null && !Boolean.TRUE.equals(ref.getOptional())) {
        throw new ConfigError(cm.isEmpty() ? "configmap \"" + ref.getName() + "\" not found"
            : "couldn't find key " + ref.getKey() + " in ConfigMap " + ns + "/" + ref.getName());
      }
      return v;
    }
    if (from.getSecretKeyRef() != null) {
      var ref = from.getSecretKeyRef();
      Optional<Secret> s = config.secret(ns, ref.getName());
      String v = s.map(ContainerProcess::secretData).map(d -> d.get(ref.getKey())).orElse(null);
      if (v == null && !Boolean.TRUE.equals(ref.getOptional())) {
        throw new ConfigError(s.isEmpty() ? "secret \"" + ref.getName() + "\" not found"
            : "couldn't find key " + ref.getKey() + " in Secret " + ns + "/" + ref.getName());
      }
      return v;
    }
    if (from.getFieldRef() != null) {
      return fieldRef(pod, from.getFieldRef().getFieldPath(), ips, var);
    }
    if (from.getResourceFieldRef() != null) {
      return resourceValue(pod, c, from.getResourceFieldRef());
    }
    throw new ConfigError("env " + var + ": valueFrom names no source");
  }

  /**
   * A resourceFieldRef's value: the container's (or the named one's) limit or request, divided
   * by the divisor and rounded up, as the downward API does (a 250m limit with divisor 1 reads "1").
   *
   * @param self the container asking (env), or null when the reference must name one (volumes)
   */
  static String resourceValue(Pod pod, Container self, io.capstan.api.ResourceFieldSelector ref) throws ConfigError {
    Container target = self;
    if (ref.getContainerName() != null && !ref.getContainerName().isEmpty()) {
      List<Container> all = new ArrayList<>(pod.getSpec().getContainers());
      if (pod.getSpec().getInitContainers() != null) {
        all.addAll(pod.getSpec().getInitContainers());
      }
      target = all.stream().filter(x -> x.getName().equals(ref.getContainerName())).findFirst()
          .orElseThrow(() -> new ConfigError("resourceFieldRef names no container \"" + ref.getContainerName() + "\""));
    }
    if (target == null) {
      throw new ConfigError("resourceFieldRef " + ref.getResource() + " must name its containerName");
    }
    String[] parts = ref.getResource().split("\\.", 2);
    if (parts.length != 2 || !(parts[0].equals("limits") || parts[0].equals("requests"))) {
      throw new ConfigError("unsupported resourceFieldRef resource \"" + ref.getResource() + "\"");
    }
    long millis = parts[0].equals("limits") ? PodResources.limitMillis(target, parts[1])
        : PodResources.requestMillis(target, parts[1]);
    Quantity divisor = ref.getDivisor() == null ? Quantity.of(1) : Quantity.parse(ref.getDivisor());
    return BigDecimal.valueOf(millis).divide(BigDecimal.valueOf(divisor.milliValue()), 0, RoundingMode.CEILING)
        .toPlainString();
  }

  static String fieldRef(Pod pod, String path, PodIps ips, String var) throws ConfigError {
    var m = pod.getMetadata();
    if (path.startsWith("metadata.labels['") && path.endsWith("']")) {
      String k = path.substring("metadata.labels['".length(), path.length() - 2);
      return m.getLabels() == null ? "" : m.getLabels().getOrDefault(k, "");
    }
    if (path.startsWith("metadata.annotations['") && path.endsWith("']")) {
      String k = path.substring("metadata.annotations['".length(), path.length() - 2);
      return m.getAnnotations() == null ? "" : m.getAnnotations().getOrDefault(k, "");
    }
    return switch (path) {
      case "metadata.name" -> m.getName();
      case "metadata.namespace" -> m.getNamespace();
      case "metadata.uid" -> m.getUid();
      case "spec.nodeName" -> pod.getSpec().getNodeName();
      case "spec.serviceAccountName" -> pod.getSpec().getServiceAccountName() == null ? "default"
          : pod.getSpec().getServiceAccountName();
      case "status.hostIP" -> ips.host();
      case "status.podIP" -> ips.pod();
      default -> throw new ConfigError("env " + var + ": unsupported fieldRef fieldPath \"" + path + "\"");
    };
  }

  /** Kubernetes' $(VAR) expansion: known variables are replaced, $$ escapes, unknown references stay as written. */
  static String expand(String s, Map<String, String> env) {
    if (s.indexOf('$') < 0) {
      return s;
    }
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (ch == '$' && i + 1 < s.length()) {
        char next = s.charAt(i + 1);
        if (next == '$') {
          out.append('$');
          i++;
          continue;
        }
        if (next == '(') {
          int close = s.indexOf(')', i + 2);
          if (close > 0) {
            String name = s.substring(i + 2, close);
            String v = env.get(name);
            out.append(v != null ? v : s, v != null ? 0 : i, v != null ? v.length() : close + 1);
            i = close;
            continue;
          }
        }
      }
      out.append(ch);
    }
    return out.toString();
  }
}
