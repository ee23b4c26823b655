package io.capstan.stateviews.processor.rules;

import io.capstan.api.Job;
import io.capstan.api.JobSpec;
import io.capstan.api.LabelSelector;
import io.capstan.api.ObjectMeta;
import io.capstan.logschema.defaults.ObjectDefaults;
import java.util.HashMap;
import java.util.Map;

/**
 * What kube-apiserver fills in before it validates and stores an object: the Job strategy's
 * generated selector on create, then the kind's defaulters ({@link ObjectDefaults}), so that every
 * reader, kubectl describe included, sees the values the controllers act on.
 */
public final class Defaulting {
  /** The labels a Job's generated selector and its pods carry (batch/v1, with the legacy pair). */
  public static final String JOB_CONTROLLER_UID = "batch.kubernetes.io/controller-uid";
  public static final String JOB_NAME = "batch.kubernetes.io/job-name";
  private static final String LEGACY_CONTROLLER_UID = "controller-uid";
  private static final String LEGACY_JOB_NAME = "job-name";

  private Defaulting() {}

  /** Defaults applied on create and on every update and status update, as the defaulters run on each decode. */
  static void apply(Object object) {
    ObjectDefaults.apply(object);
  }

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
}
