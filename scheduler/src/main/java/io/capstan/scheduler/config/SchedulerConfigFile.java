package io.capstan.scheduler.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.capstan.scheduler.plugins.ResourceWeight;
import io.capstan.scheduler.plugins.ScoringStrategy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a scheduler config file, YAML or JSON. Every key is checked: an unknown or mistyped key
 * fails with its path ({@code plugins.weights.NodeAfinity: unknown plugin}), so a typo never
 * silently runs the defaults.
 *
 * <pre>
 * schedulerName: default-scheduler
 * percentageOfNodesToScore: 0          # 0 = adaptive, as Kubernetes
 * podInitialBackoffSeconds: 1
 * podMaxBackoffSeconds: 10
 * podMaxInUnschedulablePodsSeconds: 300
 * plugins:
 *   disabled: [ImageLocality]
 *   weights: {NodeAffinity: 2, NodeResourcesFit: 0}   # 0 keeps the filter, drops the score
 * pluginConfig:
 *   NodeResourcesFit:
 *     scoringStrategy:
 *       type: MostAllocated              # or LeastAllocated
 *       resources: [{name: cpu, weight: 1}, {name: memory, weight: 1}]
 *   NodeResourcesBalancedAllocation:
 *     resources: [{name: cpu, weight: 1}, {name: memory, weight: 1}]
 *   InterPodAffinity:
 *     hardPodAffinityWeight: 1
 *   VolumeBinding:
 *     bindTimeoutSeconds: 600            # how long a pod waits for its claims to be Bound
 * </pre>
 */
public final class SchedulerConfigFile {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private SchedulerConfigFile() {}

  public static SchedulerConfig read(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new IllegalArgumentException("scheduler config " + file + ": cannot read: " + e.getMessage(), e);
    }
    try {
      return parse(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("scheduler config " + file + ": " + e.getMessage(), e);
    }
  }

  public static SchedulerConfig parse(String text) {
    JsonNode root;
    try {
      // YAML is a superset of JSON: one parser reads both.
      root = YAML.readTree(text);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("not valid YAML or JSON: " + e.getMessage(), e);
    }
    SchedulerConfig d = SchedulerConfig.defaults();
    if (root == null || root.isNull() || root.isMissingNode()) {
      return d;
    }
    object(root, "");
    onlyKeys(root, "", "schedulerName", "percentageOfNodesToScore", "podInitialBackoffSeconds", "podMaxBackoffSeconds",
        "podMaxInUnschedulablePodsSeconds", "plugins", "pluginConfig");
    String name = root.has("schedulerName") ? text(root.get("schedulerName"), "schedulerName") : d.schedulerName();
    if (name.isEmpty()) {
      throw new IllegalArgumentException("schedulerName: must not be empty");
    }
    int pct = root.has("percentageOfNodesToScore") ? integer(root.get("percentageOfNodesToScore"), "percentageOfNodesToScore", 0, 100)
        : d.percentageOfNodesToScore();
    Duration initial = seconds(root, "podInitialBackoffSeconds", d.podInitialBackoff());
    Duration max = seconds(root, "podMaxBackoffSeconds", d.podMaxBackoff());
    if (max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("podMaxBackoffSeconds: must not be less than podInitialBackoffSeconds");
    }
    Duration parked = seconds(root, "podMaxInUnschedulablePodsSeconds", d.podMaxInUnschedulable());

    Set<String> disabled = new LinkedHashSet<>();
    Map<String, Integer> weights = new HashMap<>(d.scoreWeights());
    JsonNode plugins = root.get("plugins");
    if (plugins != null) {
      object(plugins, "plugins");
      onlyKeys(plugins, "plugins", "disabled", "weights");
      JsonNode dis = plugins.get("disabled");
      if (dis != null) {
        if (!dis.isArray()) {
          throw new IllegalArgumentException("plugins.disabled: must be a list of plugin names");
        }
        for (int i = 0; i < dis.size(); i++) {
          String p = "plugins.disabled[" + i + "]";
          disabled.add(plugin(text(dis.get(i), p), p));
        }
      }
      JsonNode w = plugins.get("weights");
      if (w != null) {
        object(w, "plugins.weights");
        for (Iterator<Map.Entry<String, JsonNode>> it = w.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          String p = "plugins.weights." + e.getKey();
          plugin(e.getKey(), p);
          if (!PluginRegistry.DEFAULT_WEIGHTS.containsKey(e.getKey())) {
            throw new IllegalArgumentException(p + ": " + e.getKey() + " is not a score plugin (score plugins: "
                + String.join(", ", PluginRegistry.DEFAULT_WEIGHTS.keySet().stream().sorted().toList()) + ")");
          }
          weights.put(e.getKey(), integer(e.getValue(), p, 0, 100));
        }
      }
    }

    ScoringStrategy strategy = d.scoringStrategy();
    List<ResourceWeight> scoring = d.scoringResources();
    List<ResourceWeight> balanced = d.balancedResources();
    long hard = d.hardPodAffinityWeight();
    Duration bindTimeout = d.bindTimeout();
    JsonNode pc = root.get("pluginConfig");
    if (pc != null) {
      object(pc, "pluginConfig");
      onlyKeys(pc, "pluginConfig", "NodeResourcesFit", "NodeResourcesBalancedAllocation", "InterPodAffinity", "VolumeBinding");
      JsonNode fit = pc.get("NodeResourcesFit");
      if (fit != null) {
        object(fit, "pluginConfig.NodeResourcesFit");
        onlyKeys(fit, "pluginConfig.NodeResourcesFit", "scoringStrategy");
        JsonNode ss = fit.get("scoringStrategy");
        if (ss != null) {
          String p = "pluginConfig.NodeResourcesFit.scoringStrategy";
          object(ss, p);
          onlyKeys(ss, p, "type", "resources");
          if (ss.has("type")) {
            try {
              strategy = ScoringStrategy.fromConfig(text(ss.get("type"), p + ".type"));
            } catch (IllegalArgumentException e) {
              throw new IllegalArgumentException(p + ".type: " + e.getMessage(), e);
            }
          }
          if (ss.has("resources")) {
            scoring = resources(ss.get("resources"), p + ".resources");
          }
        }
      }
      JsonNode bal = pc.get("NodeResourcesBalancedAllocation");
      if (bal != null) {
        String p = "pluginConfig.NodeResourcesBalancedAllocation";
        object(bal, p);
        onlyKeys(bal, p, "resources");
        if (bal.has("resources")) {
          balanced = resources(bal.get("resources"), p + ".resources");
        }
      }
      JsonNode ipa = pc.get("InterPodAffinity");
      if (ipa != null) {
        String p = "pluginConfig.InterPodAffinity";
        object(ipa, p);
        onlyKeys(ipa, p, "hardPodAffinityWeight");
        if (ipa.has("hardPodAffinityWeight")) {
          hard = integer(ipa.get("hardPodAffinityWeight"), p + ".hardPodAffinityWeight", 0, 100);
        }
      }
      JsonNode vb = pc.get("VolumeBinding");
      if (vb != null) {
        String p = "pluginConfig.VolumeBinding";
        object(vb, p);
        onlyKeys(vb, p, "bindTimeoutSeconds");
        if (vb.has("bindTimeoutSeconds")) {
          bindTimeout = Duration.ofSeconds(integer(vb.get("bindTimeoutSeconds"), p + ".bindTimeoutSeconds", 1, 86_400));
        }
      }
    }
    return new SchedulerConfig(name, pct, initial, max, parked, disabled, weights, strategy, scoring, balanced, hard, bindTimeout);
  }

  private static List<ResourceWeight> resources(JsonNode n, String path) {
    if (!n.isArray() || n.isEmpty()) {
      throw new IllegalArgumentException(path + ": must be a non-empty list of {name, weight}");
    }
    List<ResourceWeight> out = new ArrayList<>();
    for (int i = 0; i < n.size(); i++) {
      String p = path + "[" + i + "]";
      JsonNode r = n.get(i);
      object(r, p);
      onlyKeys(r, p, "name", "weight");
      if (!r.has("name")) {
        throw new IllegalArgumentException(p + ".name: required");
      }
      out.add(new ResourceWeight(text(r.get("name"), p + ".name"), r.has("weight") ? integer(r.get("weight"), p + ".weight", 1, 100) : 1));
    }
    return out;
  }

  private static String plugin(String name, String path) {
    if (!PluginRegistry.NAMES.contains(name)) {
      throw new IllegalArgumentException(path + ": unknown plugin \"" + name + "\" (known: " + String.join(", ", PluginRegistry.NAMES) + ")");
    }
    return name;
  }

  private static Duration seconds(JsonNode root, String key, Duration dflt) {
    return root.has(key) ? Duration.ofSeconds(integer(root.get(key), key, 1, 86_400)) : dflt;
  }

  private static void object(JsonNode n, String path) {
    if (!n.isObject()) {
      throw new IllegalArgumentException((path.isEmpty() ? "the document" : path) + ": must be a mapping, not " + n.getNodeType().toString().toLowerCase());
    }
  }

  private static void onlyKeys(JsonNode n, String path, String... known) {
    Set<String> k = Set.of(known);
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!k.contains(f)) {
        throw new IllegalArgumentException((path.isEmpty() ? "" : path + ".") + f + ": unknown key (known: "
            + String.join(", ", known) + ")");
      }
    }
  }

  private static String text(JsonNode n, String path) {
    if (n == null || !n.isTextual()) {
      throw new IllegalArgumentException(path + ": must be a string");
    }
    return n.asText();
  }

  private static int integer(JsonNode n, String path, int min, int max) {
    if (n == null || !n.isIntegralNumber()) {
      throw new IllegalArgumentException(path + ": must be an integer");
    }
    long v = n.asLong();
    if (v < min || v > max) {
      throw new IllegalArgumentException(path + ": must be between " + min + " and " + max + ", got " + v);
    }
    return (int) v;
  }
}
