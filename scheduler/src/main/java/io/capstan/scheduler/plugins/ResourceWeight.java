package io.capstan.scheduler.plugins;

import java.util.List;

/** A resource a resource-allocation score looks at, and its weight (config.ResourceSpec). */
public record ResourceWeight(String name, long weight) {
  /** The name resolved for {@link io.capstan.scheduler.framework.Resources#get(io.capstan.scheduler.framework.Resources.Field, String)}. */
  public io.capstan.scheduler.framework.Resources.Field field() {
    return io.capstan.scheduler.framework.Resources.Field.of(name);
  }

  /** Kubernetes' default: cpu and memory, weight 1 each. */
  public static final List<ResourceWeight> DEFAULTS = List.of(new ResourceWeight("cpu", 1), new ResourceWeight("memory", 1));
}
