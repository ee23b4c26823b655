/**
 * The scheduler's configuration (a small KubeSchedulerConfiguration): scheduler name, enabled
 * plugins and score weights, NodeResourcesFit's scoring strategy, percentageOfNodesToScore and
 * the queue's backoff times, read from YAML or JSON with errors that name the bad key.
 */
package io.capstan.scheduler.config;
