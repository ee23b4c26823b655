package io.capstan.scheduler.framework;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.capstan.scheduler.config.PluginRegistry;
import io.capstan.scheduler.config.SchedulerConfig;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ProfileTest {
  private final Profile profile = PluginRegistry.profile(SchedulerConfig.defaults());

  private List<String> names(FilterPlugin[] filters) {
    return Arrays.stream(filters).map(Plugin::name).toList();
  }

  @Test
  void aCycleRunsTheFiltersWhosePreFilterDidNotSkipInTheProfilesOrder() {
    assertEquals(List.of("NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity", "NodePorts",
        "NodeResourcesFit", "VolumeBinding", "PodTopologySpread", "InterPodAffinity"),
        names(profile.activeFilters(Set.of())));
    assertEquals(List.of("NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity", "NodePorts",
        "NodeResourcesFit"), names(profile.activeFilters(Set.of("VolumeBinding", "PodTopologySpread",
        "InterPodAffinity"))));
  }
}
