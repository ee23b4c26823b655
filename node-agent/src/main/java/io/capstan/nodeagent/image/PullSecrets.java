package io.capstan.nodeagent.image;

import io.capstan.logschema.images.ImageReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.capstan.api.Secret;
import io.capstan.nodeagent.runtime.RegistryCredentials;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Registry credentials from a pod's {@code imagePullSecrets}, as kubelet reads them: Secrets of
 * type {@code kubernetes.io/dockerconfigjson} (key {@code .dockerconfigjson}, a Docker
 * {@code config.json} with {@code auths}) or {@code kubernetes.io/dockercfg} (key
 * {@code .dockercfg}, the older map of hosts). Each entry gives {@code auth} (base64 of
 * {@code user:password}) or {@code username} and {@code password}; hosts are matched with any
 * scheme and path removed, and Docker Hub's historical names all mean {@code docker.io}. The
 * first secret that has the host wins.
 */
public final class PullSecrets {
  public static final String DOCKER_CONFIG_JSON = "kubernetes.io/dockerconfigjson";
  public static final String DOCKER_CFG = "kubernetes.io/dockercfg";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> DOCKER_HUB_NAMES = List.of("index.docker.io", "registry-1.docker.io", "docker.io");

  private PullSecrets() {}

  /**
   * The credentials these secrets give, by registry host.
   *
   * @throws IllegalArgumentException naming the secret whose content cannot be read
   */
  public static Function<String, Optional<RegistryCredentials>> of(List<Secret> secrets) {
    Map<String, RegistryCredentials> byHost = new LinkedHashMap<>();
    for (Secret s : secrets) {
      String name = s.getMetadata().getNamespace() + "/" + s.getMetadata().getName();
      String key = DOCKER_CONFIG_JSON.equals(s.getType()) ? ".dockerconfigjson"
          : DOCKER_CFG.equals(s.getType()) ? ".dockercfg" : null;
      if (key == null) {
        continue; // kubelet ignores pull secrets of other types
      }
      ByteBuffer bytes = s.getData() == null ? null : s.getData().get(key);
      if (bytes == null) {
        throw new IllegalArgumentException("the pull secret " + name + " has no " + key + " key");
      }
      JsonNode doc;
      try {
        doc = JSON.readTree(StandardCharsets.UTF_8.decode(bytes.duplicate()).toString());
      } catch (IOException e) {
        throw new IllegalArgumentException("the pull secret " + name + ": " + key + " is not JSON");
      }
      JsonNode auths = key.equals(".dockerconfigjson") ? doc.path("auths") : doc;
      auths.fields().forEachRemaining(e -> {
        RegistryCredentials c = entry(name, e.getKey(), e.getValue());
        if (c != null) {
          byHost.putIfAbsent(host(e.getKey()), c);
        }
      });
    }
    return registry -> Optional.ofNullable(byHost.get(host(registry)));
  }

  private static RegistryCredentials entry(String secret, String host, JsonNode e) {
    if (e.hasNonNull("auth") && !e.get("auth").asText().isEmpty()) {
      String decoded;
      try {
        decoded = new String(Base64.getDecoder().decode(e.get("auth").asText()), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException bad) {
        throw new IllegalArgumentException("the pull secret " + secret + ": the auth of " + host + " is not base64");
      }
      int colon = decoded.indexOf(':');
      if (colon < 0) {
        throw new IllegalArgumentException("the pull secret " + secret + ": the auth of " + host
            + " is not user:password");
      }
      return new RegistryCredentials(decoded.substring(0, colon), decoded.substring(colon + 1));
    }
    if (e.hasNonNull("username")) {
      return new RegistryCredentials(e.get("username").asText(), e.path("password").asText(""));
    }
    return null;
  }

  /** A registry key as written in a Docker config, reduced to the host (and port) an image names. */
  static String host(String key) {
    String h = key.toLowerCase(Locale.ROOT).replaceFirst("^[a-z]+://", "");
    int slash = h.indexOf('/');
    if (slash >= 0) {
      h = h.substring(0, slash);
    }
    return DOCKER_HUB_NAMES.contains(h) ? ImageReference.DOCKER_HUB : h;
  }
}
