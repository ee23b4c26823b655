package io.capstan.stateviews.processor.rules;

import io.capstan.api.Deployment;
import io.capstan.api.DeploymentSpec;
import io.capstan.api.DeploymentStrategy;
import io.capstan.api.Job;
import io.capstan.api.JobSpec;
import io.capstan.api.LabelSelector;
import io.capstan.api.ObjectMeta;
import io.capstan.api.RollingUpdateDeployment;
import io.capstan.api.Secret;
import java.util.HashMap;
import java.util.Map;

/**
 * What kube-apiserver fills in on workloads before it stores them (the apps/v1 and batch/v1
 * defaulters, and the Job strategy's generated selector), so that every reader, kubectl
 * describe included, sees the values the controllers act on. Also the core/v1 Secret's type.
 */
public final class WorkloadDefaults {
  /** The labels a Job's generated selector and its pods carry (batch/v1, with the legacy pair). */
  public static final String JOB_CONTROLLER_UID = "batch.kubernetes.io/controller-uid";
  public static final String JOB_NAME = "batch.kubernetes.io/job-name";
  private static final String LEGACY_CONTROLLER_UID = "controller-uid";
  private static final String LEGACY_JOB_NAME = "job-name";

  private WorkloadDefaults() {}

  /** Defaults applied on create and on every update, as the defaulters run on each decode. */
  static void apply(Object object) {
    if (object instanceof Deployment d && d.getSpec() != null) {
      deployment(d.getSpec());
    } else if (object instanceof Job j && j.getSpec() != null) {
      job(j.getSpec());
    } else if (object instanceof Secret s && (s.getType() == null || s.getType().isEmpty())) {
      s.setType(OPAQUE); // core/v1 SetDefaults_Secret
    }
  }

  /** The type of a Secret that names none. */
  public static final String OPAQUE = "Opaque";

  /** On create only: a Job without {@code manualSelector} gets a selector on its own uid. */
  static void prepareForCreate(Object object) {
    if (object instanceof Job j && j.getSpec() != null && !Boolean.TRUE.equals(j.getSpec().getManualSelector())) {
      ObjectMeta meta = j.getMetadata();
      JobSpec spec = j.getSpec();
      spec.setSelector(LabelSelector.newBuilder().setMatchLabels(Map.of(JOB_CONTROLLER_UID, meta.getUid())).build());
      ObjectMeta template = spec.getTemplate().getMetadata() == null
          ? ObjectMeta.newBuilder().build() : spec.getTemplate().getMetadata();
      Map<String, String> labels = template.getLabels() == null ? new HashMap<>() : new HashMap<>(template.getLabels());
      labels.put(JOB_CONTROLLER_UID, meta.getUid());
      labels.put(JOB_NAME, meta.getName());
      labels.put(LEGACY_CONTROLLER_UID, meta.getUid());
      labels.put(LEGACY_JOB_NAME, meta.getName());
      template.setLabels(labels);
      spec.getTemplate().setMetadata(template);
    }
    apply(object);
  }

  /** apps/v1 SetDefaults_Deployment. */
  private static void deployment(DeploymentSpec spec) {
    if (spec.getReplicas() == null) {
      spec.setReplicas(1);
    }
    DeploymentStrategy strategy = spec.getStrategy() == null ? DeploymentStrategy.newBuilder().build() : spec.getStrategy();
    if (strategy.getType() == null || strategy.getType().isEmpty()) {
      strategy.setType("RollingUpdate");
    }
    if ("RollingUpdate".equals(strategy.getType())) {
      RollingUpdateDeployment rolling = strategy.getRollingUpdate() == null
          ? RollingUpdateDeployment.newBuilder().build() : strategy.getRollingUpdate();
      if (rolling.getMaxUnavailable() == null) {
        rolling.setMaxUnavailable("25%");
      }
      if (rolling.getMaxSurge() == null) {
        rolling.setMaxSurge("25%");
      }
      strategy.setRollingUpdate(rolling);
    }
    spec.setStrategy(strategy);
    if (spec.getRevisionHistoryLimit() == null) {
      spec.setRevisionHistoryLimit(10);
    }
    if (spec.getProgressDeadlineSeconds() == null) {
      spec.setProgressDeadlineSeconds(600);
    }
  }

  /** batch/v1 SetDefaults_Job. */
  private static void job(JobSpec spec) {
    if (spec.getCompletions() == null && spec.getParallelism() == null) {
      spec.setCompletions(1);
      spec.setParallelism(1);
    }
    if (spec.getParallelism() == null) {
      spec.setParallelism(1);
    }
    if (spec.getBackoffLimit() == null) {
      spec.setBackoffLimit(6);
    }
    if (spec.getCompletionMode() == null) {
      spec.setCompletionMode("NonIndexed");
    }
    if (spec.getSuspend() == null) {
      spec.setSuspend(false);
    }
  }
}
