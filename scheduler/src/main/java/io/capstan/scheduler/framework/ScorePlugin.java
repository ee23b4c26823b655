package io.capstan.scheduler.framework;

/**
 * Ranks a feasible node (Score), then brings all scores into [0, {@link #MAX_NODE_SCORE}]
 * (ScoreExtensions.NormalizeScore). The framework multiplies by the plugin's weight and sums.
 */
public interface ScorePlugin extends Plugin {
  long MAX_NODE_SCORE = 100;
  long MIN_NODE_SCORE = 0;

  long score(CycleState state, PodInfo pod, NodeInfo node);

  /** Rewrites {@code scores} (parallel to {@code nodes}) in place; the default leaves them. */
  default void normalize(CycleState state, PodInfo pod, NodeInfo[] nodes, long[] scores) {}

  /**
   * helper.DefaultNormalizeScore: scales to [0, 100] by the highest score; {@code reverse} turns
   * "more is worse" counts (e.g. untolerated PreferNoSchedule taints) into scores.
   */
  static void defaultNormalize(long[] scores, boolean reverse) {
    long max = 0;
    for (long s : scores) {
      max = Math.max(max, s);
    }
    if (max == 0) {
      if (reverse) {
        java.util.Arrays.fill(scores, MAX_NODE_SCORE);
      }
      return;
    }
    for (int i = 0; i < scores.length; i++) {
      long s = MAX_NODE_SCORE * scores[i] / max;
      scores[i] = reverse ? MAX_NODE_SCORE - s : s;
    }
  }
}
