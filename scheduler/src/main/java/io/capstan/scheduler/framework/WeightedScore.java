package io.capstan.scheduler.framework;

/** A score plugin enabled in a profile, with its weight (the profile's score plugin config). */
public record WeightedScore(ScorePlugin plugin, int weight) {
  public WeightedScore {
    if (weight < 1) {
      throw new IllegalArgumentException("score plugin " + plugin.name() + ": weight must be at least 1, got " + weight);
    }
  }
}
