package io.capstan.scheduler.framework;

/** Whether the pod may run on one node (Filter). Called concurrently for different nodes: must not write shared state. */
public interface FilterPlugin extends Plugin {
  Status filter(CycleState state, PodInfo pod, NodeInfo node);
}
