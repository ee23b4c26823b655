package io.capstan.scheduler.plugins;

/** NodeResourcesFit's scoring strategy (config.ScoringStrategyType). */
public enum ScoringStrategy {
  /** Prefer the node with the most room left: spreads load (the Kubernetes default). */
  LEAST_ALLOCATED("LeastAllocated"),
  /** Prefer the fullest node that still fits: bin packing. */
  MOST_ALLOCATED("MostAllocated");

  private final String configName;

  ScoringStrategy(String configName) {
    this.configName = configName;
  }

  public String configName() {
    return configName;
  }

  public static ScoringStrategy fromConfig(String name) {
    for (ScoringStrategy s : values()) {
      if (s.configName.equals(name)) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown scoring strategy \"" + name + "\" (LeastAllocated or MostAllocated)");
  }
}
