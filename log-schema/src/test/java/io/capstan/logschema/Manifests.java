package io.capstan.logschema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.logschema.json.KubeJson;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** The realistic manifests under src/test/resources/manifests, for tests. */
public final class Manifests {
  public static final List<String> FILES = List.of(
      "deployment-nginx.yaml", "webapp-config.yaml", "job-indexed.yaml", "pod-busybox-init.yaml",
      "service-clusterip.yaml", "service-nodeport.yaml", "node.yaml", "event.yaml", "lease.yaml",
      "resourcequota.yaml", "limitrange.yaml", "namespace.yaml", "endpoints.yaml", "pod-scheduling.yaml",
      "replicaset.yaml");

  private Manifests() {}

  public static String text(String file) {
    try (InputStream in = Manifests.class.getResourceAsStream("/manifests/" + file)) {
      if (in == null) {
        throw new IllegalArgumentException("no manifest " + file);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The first (or only) document of a manifest file. */
  public static JsonNode json(String file) {
    return KubeJson.parseAll(text(file)).get(0);
  }

  /** A copy without null members: Kubernetes (and our toJson) omit them. */
  public static JsonNode withoutNulls(JsonNode node) {
    JsonNode copy = node.deepCopy();
    strip(copy);
    return copy;
  }

  private static void strip(JsonNode node) {
    if (node instanceof ObjectNode o) {
      Iterator<Map.Entry<String, JsonNode>> it = o.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        if (e.getValue().isNull()) {
          it.remove();
        } else {
          strip(e.getValue());
        }
      }
    } else if (node instanceof ArrayNode a) {
      a.forEach(Manifests::strip);
    }
  }
}
