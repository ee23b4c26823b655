package io.capstan.scheduler.framework;

import java.util.List;

/** Works out once per cycle what the plugin's Score needs, over the feasible nodes (PreScore). */
public interface PreScorePlugin extends Plugin {
  /** {@link Status#SKIP} tells the framework not to call this plugin's Score for this pod. */
  Status preScore(CycleState state, PodInfo pod, List<NodeInfo> feasible, ClusterSnapshot snapshot);
}
