package io.capstan.logschema.defaults;

import static io.capstan.logschema.defaults.ObjectDefaults.isEmpty;

import io.capstan.api.Deployment;
import io.capstan.api.DeploymentSpec;
import io.capstan.api.DeploymentStrategy;
import io.capstan.api.Job;
import io.capstan.api.JobSpec;
import io.capstan.api.ObjectMeta;
import io.capstan.api.PodFailurePolicyOnPodConditionsPattern;
import io.capstan.api.PodFailurePolicyRule;
import io.capstan.api.ReplicaSet;
import io.capstan.api.RollingUpdateDeployment;
import java.util.HashMap;
import java.util.Map;

/** apps/v1 SetDefaults_Deployment, _ReplicaSet and _DaemonSet, batch/v1 SetDefaults_Job, with their pod templates. */
final class WorkloadDefaults {
  private WorkloadDefaults() {}

  static void deployment(Deployment d) {
    DeploymentSpec spec = d.getSpec();
    if (spec == null) {
      return;
    }
    if (spec.getReplicas() == null) {
      spec.setReplicas(1);
    }
    DeploymentStrategy strategy = spec.getStrategy() == null ? DeploymentStrategy.newBuilder().build() : spec.getStrategy();
    if (isEmpty(strategy.getType())) {
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
    PodDefaults.template(spec.getTemplate());
  }

  /** apps/v1 SetDefaults_DaemonSet: RollingUpdate with maxUnavailable 1 and maxSurge 0, ten revisions kept. */
  static void daemonSet(io.capstan.api.DaemonSet ds) {
    io.capstan.api.DaemonSetSpec spec = ds.getSpec();
    if (spec == null) {
      return;
    }
    io.capstan.api.DaemonSetUpdateStrategy strategy = spec.getUpdateStrategy() == null
        ? io.capstan.api.DaemonSetUpdateStrategy.newBuilder().build() : spec.getUpdateStrategy();
    if (isEmpty(strategy.getType())) {
      strategy.setType("RollingUpdate");
    }
    if ("RollingUpdate".equals(strategy.getType())) {
      io.capstan.api.RollingUpdateDaemonSet rolling = strategy.getRollingUpdate() == null
          ? io.capstan.api.RollingUpdateDaemonSet.newBuilder().build() : strategy.getRollingUpdate();
      if (rolling.getMaxUnavailable() == null) {
        rolling.setMaxUnavailable(1);
      }
      if (rolling.getMaxSurge() == null) {
        rolling.setMaxSurge(0);
      }
      strategy.setRollingUpdate(rolling);
    }
    spec.setUpdateStrategy(strategy);
    if (spec.getRevisionHistoryLimit() == null) {
      spec.setRevisionHistoryLimit(10);
    }
    PodDefaults.template(spec.getTemplate());
  }

  /**
   * apps/v1 SetDefaults_StatefulSet: OrderedReady, RollingUpdate with partition 0, claims retained
   * when the set is deleted or scaled, one replica, ten revisions kept.
   */
  static void statefulSet(io.capstan.api.StatefulSet sts) {
    io.capstan.api.StatefulSetSpec spec = sts.getSpec();
    if (spec == null) {
      return;
    }
    if (isEmpty(spec.getPodManagementPolicy())) {
      spec.setPodManagementPolicy("OrderedReady");
    }
    io.capstan.api.StatefulSetUpdateStrategy strategy = spec.getUpdateStrategy() == null
        ? io.capstan.api.StatefulSetUpdateStrategy.newBuilder().build() : spec.getUpdateStrategy();
    if (isEmpty(strategy.getType())) {
      strategy.setType("RollingUpdate");
      if (strategy.getRollingUpdate() == null) {
        strategy.setRollingUpdate(io.capstan.api.RollingUpdateStatefulSetStrategy.newBuilder().build());
      }
    }
    if ("RollingUpdate".equals(strategy.getType()) && strategy.getRollingUpdate() != null
        && strategy.getRollingUpdate().getPartition() == null) {
      strategy.getRollingUpdate().setPartition(0);
    }
    spec.setUpdateStrategy(strategy);
    io.capstan.api.StatefulSetPersistentVolumeClaimRetentionPolicy retention =
        spec.getPersistentVolumeClaimRetentionPolicy() == null
            ? io.capstan.api.StatefulSetPersistentVolumeClaimRetentionPolicy.newBuilder().build()
            : spec.getPersistentVolumeClaimRetentionPolicy();
    if (isEmpty(retention.getWhenDeleted())) {
      retention.setWhenDeleted("Retain");
    }
    if (isEmpty(retention.getWhenScaled())) {
      retention.setWhenScaled("Retain");
    }
    spec.setPersistentVolumeClaimRetentionPolicy(retention);
    if (spec.getReplicas() == null) {
      spec.setReplicas(1);
    }
    if (spec.getRevisionHistoryLimit() == null) {
      spec.setRevisionHistoryLimit(10);
    }
    PodDefaults.template(spec.getTemplate());
  }

  static void replicaSet(ReplicaSet rs) {
    if (rs.getSpec() == null) {
      return;
    }
    if (rs.getSpec().getReplicas() == null) {
      rs.getSpec().setReplicas(1);
    }
    PodDefaults.template(rs.getSpec().getTemplate());
  }

  static void job(Job j) {
    JobSpec spec = j.getSpec();
    if (spec == null) {
      return;
    }
    if (spec.getCompletions() == null && spec.getParallelism() == null) {
      spec.setCompletions(1);
      spec.setParallelism(1);
    }
    if (spec.getParallelism() == null) {
      spec.setParallelism(1);
    }
    if (spec.getBackoffLimit() == null) {
      // With a limit per index, the job-wide limit is effectively off.
      spec.setBackoffLimit(spec.getBackoffLimitPerIndex() != null ? Integer.MAX_VALUE : 6);
    }
    // A Job without labels of its own is labelled as its pods are.
    ObjectMeta meta = j.getMetadata();
    Map<String, String> templateLabels = spec.getTemplate() == null || spec.getTemplate().getMetadata() == null
        ? null : spec.getTemplate().getMetadata().getLabels();
    if (meta != null && templateLabels != null && (meta.getLabels() == null || meta.getLabels().isEmpty())) {
      meta.setLabels(new HashMap<>(templateLabels));
    }
    if (spec.getCompletionMode() == null) {
      spec.setCompletionMode("NonIndexed");
    }
    if (spec.getSuspend() == null) {
      spec.setSuspend(false);
    }
    if (spec.getPodFailurePolicy() != null) {
      for (PodFailurePolicyRule rule : spec.getPodFailurePolicy().getRules()) {
        if (rule.getOnPodConditions() != null) {
          for (PodFailurePolicyOnPodConditionsPattern pattern : rule.getOnPodConditions()) {
            if (isEmpty(pattern.getStatus())) {
              pattern.setStatus("True");
            }
          }
        }
      }
    }
    if (spec.getPodReplacementPolicy() == null) {
      spec.setPodReplacementPolicy(spec.getPodFailurePolicy() != null ? "Failed" : "TerminatingOrFailed");
    }
    if (spec.getManualSelector() == null) {
      spec.setManualSelector(false);
    }
    PodDefaults.template(spec.getTemplate());
  }

  /**
   * batch/v1 SetDefaults_CronJob: Allow, not suspended, 3 successful and 1 failed Job kept; the
   * job template's pod gets the pod defaults (not the Job's own: those come when a Job is created).
   */
  static void cronJob(io.capstan.api.CronJob cj) {
    io.capstan.api.CronJobSpec spec = cj.getSpec();
    if (spec == null) {
      return;
    }
    if (spec.getConcurrencyPolicy() == null || spec.getConcurrencyPolicy().isEmpty()) {
      spec.setConcurrencyPolicy("Allow");
    }
    if (spec.getSuspend() == null) {
      spec.setSuspend(false);
    }
    if (spec.getSuccessfulJobsHistoryLimit() == null) {
      spec.setSuccessfulJobsHistoryLimit(3);
    }
    if (spec.getFailedJobsHistoryLimit() == null) {
      spec.setFailedJobsHistoryLimit(1);
    }
    if (spec.getJobTemplate() != null && spec.getJobTemplate().getSpec() != null) {
      PodDefaults.template(spec.getJobTemplate().getSpec().getTemplate());
    }
  }
}
