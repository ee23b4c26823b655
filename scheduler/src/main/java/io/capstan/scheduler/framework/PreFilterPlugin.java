package io.capstan.scheduler.framework;

/** Works out once per cycle what the plugin's Filter needs (PreFilter); may reject the pod outright. */
public interface PreFilterPlugin extends Plugin {
  Status preFilter(CycleState state, PodInfo pod, ClusterSnapshot snapshot);
}
