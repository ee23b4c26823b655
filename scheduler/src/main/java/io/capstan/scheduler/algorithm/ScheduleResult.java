package io.capstan.scheduler.algorithm;

/** Where the pod goes, and how many nodes the attempt looked at and found feasible. */
public record ScheduleResult(String node, int evaluatedNodes, int feasibleNodes) {}
