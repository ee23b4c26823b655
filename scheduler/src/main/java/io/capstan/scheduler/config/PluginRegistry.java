package io.capstan.scheduler.config;

import io.capstan.scheduler.framework.Plugin;
import io.capstan.scheduler.framework.Profile;
import io.capstan.scheduler.plugins.ImageLocality;
import io.capstan.scheduler.plugins.InterPodAffinity;
import io.capstan.scheduler.plugins.NodeAffinity;
import io.capstan.scheduler.plugins.NodeName;
import io.capstan.scheduler.plugins.NodePorts;
import io.capstan.scheduler.plugins.NodeResourcesBalancedAllocation;
import io.capstan.scheduler.plugins.NodeResourcesFit;
import io.capstan.scheduler.plugins.NodeUnschedulable;
import io.capstan.scheduler.plugins.PodTopologySpread;
import io.capstan.scheduler.plugins.TaintToleration;
import io.capstan.scheduler.plugins.VolumeBinding;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The in-tree plugins in kube-scheduler's default order, and the default profile built from a config. */
public final class PluginRegistry {
  /** Plugin names in the order their filters run (the default profile's order). */
  public static final List<String> NAMES = List.of(NodeUnschedulable.NAME, NodeName.NAME, TaintToleration.NAME,
      NodeAffinity.NAME, NodePorts.NAME, NodeResourcesFit.NAME, VolumeBinding.NAME, PodTopologySpread.NAME,
      InterPodAffinity.NAME,
      NodeResourcesBalancedAllocation.NAME, ImageLocality.NAME);

  /** The default profile's score weights (pkg/scheduler/apis/config/v1 default_plugins.go). */
  public static final Map<String, Integer> DEFAULT_WEIGHTS = defaultWeights();

  private PluginRegistry() {}

  private static Map<String, Integer> defaultWeights() {
    Map<String, Integer> w = new LinkedHashMap<>();
    w.put(TaintToleration.NAME, 3);
    w.put(NodeAffinity.NAME, 2);
    w.put(NodeResourcesFit.NAME, 1);
    w.put(PodTopologySpread.NAME, 2);
    w.put(InterPodAffinity.NAME, 2);
    w.put(NodeResourcesBalancedAllocation.NAME, 1);
    w.put(ImageLocality.NAME, 1);
    return Map.copyOf(w);
  }

  public static Profile profile(SchedulerConfig config) {
    return profile(config, VolumeBinding.Listers.NONE);
  }

  /** @param volumes where VolumeBinding finds claims, volumes and classes (the scheduler's informers) */
  public static Profile profile(SchedulerConfig config, VolumeBinding.Listers volumes) {
    List<Plugin> plugins = new ArrayList<>();
    for (String name : NAMES) {
      if (!config.disabledPlugins().contains(name)) {
        plugins.add(create(name, config, volumes));
      }
    }
    return new Profile(config.schedulerName(), plugins, config.scoreWeights());
  }

  static Plugin create(String name, SchedulerConfig c) {
    return create(name, c, VolumeBinding.Listers.NONE);
  }

  static Plugin create(String name, SchedulerConfig c, VolumeBinding.Listers volumes) {
    return switch (name) {
      case VolumeBinding.NAME -> new VolumeBinding(volumes);
      case NodeUnschedulable.NAME -> new NodeUnschedulable();
      case NodeName.NAME -> new NodeName();
      case TaintToleration.NAME -> new TaintToleration();
      case NodeAffinity.NAME -> new NodeAffinity();
      case NodePorts.NAME -> new NodePorts();
      case NodeResourcesFit.NAME -> new NodeResourcesFit(c.scoringStrategy(), c.scoringResources());
      case PodTopologySpread.NAME -> new PodTopologySpread();
      case InterPodAffinity.NAME -> new InterPodAffinity(c.hardPodAffinityWeight());
      case NodeResourcesBalancedAllocation.NAME -> new NodeResourcesBalancedAllocation(c.balancedResources());
      case ImageLocality.NAME -> new ImageLocality();
      default -> throw new IllegalArgumentException("unknown plugin \"" + name + "\"");
    };
  }
}
