package io.capstan.scheduler.config;

import io.capstan.scheduler.plugins.ResourceWeight;
import io.capstan.scheduler.plugins.ScoringStrategy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the scheduler is told (KubeSchedulerConfiguration, one profile). Every default is here.
 *
 * @param schedulerName             pods with another {@code spec.schedulerName} are left alone
 * @param percentageOfNodesToScore  0 = Kubernetes' adaptive default (50% − nodes/125, at least 5%)
 * @param podInitialBackoff         the first retry wait of a failed pod (doubling per attempt)
 * @param podMaxBackoff             the longest retry wait
 * @param podMaxInUnschedulable     how long a pod may stay parked before it is retried anyway
 * @param disabledPlugins           default plugins turned off
 * @param scoreWeights              weight per score plugin (the defaults are Kubernetes')
 * @param bindTimeout               VolumeBinding's bindTimeoutSeconds: how long a pod waits for its
 *                                  WaitForFirstConsumer claims to be Bound before it is scheduled again
 */
public record SchedulerConfig(
    String schedulerName,
    int percentageOfNodesToScore,
    Duration podInitialBackoff,
    Duration podMaxBackoff,
    Duration podMaxInUnschedulable,
    Set<String> disabledPlugins,
    Map<String, Integer> scoreWeights,
    ScoringStrategy scoringStrategy,
    List<ResourceWeight> scoringResources,
    List<ResourceWeight> balancedResources,
    long hardPodAffinityWeight,
    Duration bindTimeout) {

  public static final String DEFAULT_SCHEDULER_NAME = "default-scheduler";
  public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofSeconds(1);
  public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(10);
  /** podMaxInUnschedulablePodsDuration: 5 minutes. */
  public static final Duration DEFAULT_MAX_IN_UNSCHEDULABLE = Duration.ofMinutes(5);
  /** VolumeBindingArgs.bindTimeoutSeconds: 600. */
  public static final Duration DEFAULT_BIND_TIMEOUT = Duration.ofSeconds(600);

  public SchedulerConfig {
    disabledPlugins = Set.copyOf(disabledPlugins);
    scoreWeights = Map.copyOf(scoreWeights);
    scoringResources = List.copyOf(scoringResources);
    balancedResources = List.copyOf(balancedResources);
  }

  /** With the default bind timeout. */
  public SchedulerConfig(String schedulerName, int percentageOfNodesToScore, Duration podInitialBackoff,
      Duration podMaxBackoff, Duration podMaxInUnschedulable, Set<String> disabledPlugins,
      Map<String, Integer> scoreWeights, ScoringStrategy scoringStrategy, List<ResourceWeight> scoringResources,
      List<ResourceWeight> balancedResources, long hardPodAffinityWeight) {
    this(schedulerName, percentageOfNodesToScore, podInitialBackoff, podMaxBackoff, podMaxInUnschedulable,
        disabledPlugins, scoreWeights, scoringStrategy, scoringResources, balancedResources, hardPodAffinityWeight,
        DEFAULT_BIND_TIMEOUT);
  }

  public static SchedulerConfig defaults() {
    return new SchedulerConfig(DEFAULT_SCHEDULER_NAME, 0, DEFAULT_INITIAL_BACKOFF, DEFAULT_MAX_BACKOFF,
        DEFAULT_MAX_IN_UNSCHEDULABLE, Set.of(), PluginRegistry.DEFAULT_WEIGHTS, ScoringStrategy.LEAST_ALLOCATED,
        ResourceWeight.DEFAULTS, ResourceWeight.DEFAULTS, 1);
  }

  public SchedulerConfig withSchedulerName(String name) {
    return new SchedulerConfig(name, percentageOfNodesToScore, podInitialBackoff, podMaxBackoff, podMaxInUnschedulable,
        disabledPlugins, scoreWeights, scoringStrategy, scoringResources, balancedResources, hardPodAffinityWeight,
        bindTimeout);
  }

  public SchedulerConfig withBackoff(Duration initial, Duration max) {
    return new SchedulerConfig(schedulerName, percentageOfNodesToScore, initial, max, podMaxInUnschedulable,
        disabledPlugins, scoreWeights, scoringStrategy, scoringResources, balancedResources, hardPodAffinityWeight,
        bindTimeout);
  }

  public SchedulerConfig withBindTimeout(Duration timeout) {
    return new SchedulerConfig(schedulerName, percentageOfNodesToScore, podInitialBackoff, podMaxBackoff,
        podMaxInUnschedulable, disabledPlugins, scoreWeights, scoringStrategy, scoringResources, balancedResources,
        hardPodAffinityWeight, timeout);
  }
}
