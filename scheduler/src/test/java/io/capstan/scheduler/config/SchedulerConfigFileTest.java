package io.capstan.scheduler.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.scheduler.framework.Profile;
import io.capstan.scheduler.plugins.ScoringStrategy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SchedulerConfigFileTest {

  @Test
  void anEmptyFileIsTheDefaults() {
    SchedulerConfig c = SchedulerConfigFile.parse("{}");
    assertEquals(SchedulerConfig.defaults(), c);
    Profile p = PluginRegistry.profile(c);
    assertEquals(PluginRegistry.NAMES, p.plugins().keySet().stream().toList());
    assertEquals(7, p.scorePlugins().size());
  }

  @Test
  void yamlSetsEverything(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("scheduler.yaml");
    Files.writeString(f, """
        schedulerName: my-scheduler
        percentageOfNodesToScore: 30
        podInitialBackoffSeconds: 2
        podMaxBackoffSeconds: 20
        plugins:
          disabled: [ImageLocality]
          weights: {NodeAffinity: 5, NodeResourcesBalancedAllocation: 0}
        pluginConfig:
          NodeResourcesFit:
            scoringStrategy:
              type: MostAllocated
              resources: [{name: cpu, weight: 2}, {name: memory}]
          InterPodAffinity: {hardPodAffinityWeight: 0}
          VolumeBinding: {bindTimeoutSeconds: 30}
        """);
    SchedulerConfig c = SchedulerConfigFile.read(f);
    assertEquals("my-scheduler", c.schedulerName());
    assertEquals(30, c.percentageOfNodesToScore());
    assertEquals(Duration.ofSeconds(2), c.podInitialBackoff());
    assertEquals(Duration.ofSeconds(20), c.podMaxBackoff());
    assertEquals(ScoringStrategy.MOST_ALLOCATED, c.scoringStrategy());
    assertEquals(2, c.scoringResources().get(0).weight());
    assertEquals(1, c.scoringResources().get(1).weight());
    assertEquals(0, c.hardPodAffinityWeight());
    assertEquals(Duration.ofSeconds(30), c.bindTimeout());
    Profile p = PluginRegistry.profile(c);
    assertFalse(p.plugins().containsKey("ImageLocality"));
    assertTrue(p.plugins().containsKey("NodeResourcesBalancedAllocation"), "weight 0 keeps the plugin, drops its score");
    assertTrue(p.scorePlugins().stream().noneMatch(w -> w.plugin().name().equals("NodeResourcesBalancedAllocation")));
    assertEquals(5, p.scorePlugins().stream().filter(w -> w.plugin().name().equals("NodeAffinity")).findFirst().orElseThrow().weight());
  }

  @Test
  void jsonWorksToo() {
    assertEquals("x", SchedulerConfigFile.parse("{\"schedulerName\": \"x\"}").schedulerName());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "schedulerNme: x | schedulerNme: unknown key (known: schedulerName,",
      "plugins: {disabled: [NodeAfinity]} | plugins.disabled[0]: unknown plugin \"NodeAfinity\"",
      "plugins: {weights: {NodeName: 3}} | plugins.weights.NodeName: NodeName is not a score plugin",
      "plugins: {weights: {NodeAffinity: high}} | plugins.weights.NodeAffinity: must be an integer",
      "plugins: {enabled: []} | plugins.enabled: unknown key (known: disabled, weights)",
      "percentageOfNodesToScore: 101 | percentageOfNodesToScore: must be between 0 and 100, got 101",
      "pluginConfig: {NodeResourcesFit: {scoringStrategy: {type: Packed}}} | pluginConfig.NodeResourcesFit.scoringStrategy.type: unknown scoring strategy \"Packed\"",
      "pluginConfig: {NodeResourcesFit: {scoringStrategy: {resources: [{name: cpu, wieght: 1}]}}} | pluginConfig.NodeResourcesFit.scoringStrategy.resources[0].wieght: unknown key",
      "podInitialBackoffSeconds: 5\\npodMaxBackoffSeconds: 2 | podMaxBackoffSeconds: must not be less than podInitialBackoffSeconds",
      "pluginConfig: {VolumeBinding: {bindTimeoutSeconds: 0}} | pluginConfig.VolumeBinding.bindTimeoutSeconds: must be between 1 and 86400, got 0",
      "pluginConfig: {VolumeBinding: {bindTimeout: 5}} | pluginConfig.VolumeBinding.bindTimeout: unknown key (known: bindTimeoutSeconds)",
      "[1, 2] | the document: must be a mapping",
      "schedulerName: [a] | schedulerName: must be a string",
  })
  void badKeysAreNamed(String text, String expected) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SchedulerConfigFile.parse(text.replace("\\n", "\n")));
    assertTrue(e.getMessage().startsWith(expected), e.getMessage());
  }

  @Test
  void theFileNameIsInTheMessage(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("bad.yaml");
    Files.writeString(f, "nope: 1\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SchedulerConfigFile.read(f));
    assertTrue(e.getMessage().startsWith("scheduler config " + f + ": nope: unknown key"), e.getMessage());
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> SchedulerConfigFile.read(dir.resolve("none.yaml")));
    assertTrue(missing.getMessage().contains("cannot read"), missing.getMessage());
  }
}
