package io.capstan.logschema.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.CronJob;
import io.capstan.api.PriorityClass;
import io.capstan.logschema.defaults.ObjectDefaults;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import java.util.List;
import org.apache.avro.generic.IndexedRecord;
import org.junit.jupiter.api.Test;

/** CronJob and PriorityClass validation as kube-apiserver's batch and scheduling validation word it. */
class CronJobAndPriorityClassRulesTest {
  private static final String CRON_JOB = """
      metadata: {name: NAME, namespace: default}
      spec:
        schedule: "SCHEDULE"
        jobTemplate:
          spec:
            template:
              spec:
                restartPolicy: OnFailure
                containers: [{name: hello, image: busybox}]
      """;

  private static IndexedRecord object(Kind kind, String yaml) {
    IndexedRecord o = KubeJson.fromJson(kind, KubeJson.parse(yaml)).object();
    ObjectDefaults.apply(o);
    return o;
  }

  private static List<String> errors(Kind kind, String yaml) {
    return ObjectValidator.validate(kind, object(kind, yaml)).stream().map(FieldError::toString).toList();
  }

  private static List<String> cronJob(String schedule, String extraSpec) {
    String yaml = CRON_JOB.replace("NAME", "hello").replace("SCHEDULE", schedule);
    if (!extraSpec.isEmpty()) {
      yaml = yaml.replace("  jobTemplate:", "  " + extraSpec + "\n  jobTemplate:");
    }
    return errors(Kinds.CRON_JOB, yaml);
  }

  private static void assertHas(List<String> errors, String expected) {
    assertTrue(errors.contains(expected), "expected <" + expected + "> in " + errors);
  }

  @Test
  void aValidCronJobIsDefaultedAsKubernetesDefaultsIt() {
    assertEquals(List.of(), cronJob("*/1 * * * *", ""));
    assertEquals(List.of(), cronJob("@hourly", "timeZone: Europe/Paris"));
    CronJob cj = (CronJob) object(Kinds.CRON_JOB, CRON_JOB.replace("NAME", "hello").replace("SCHEDULE", "@daily"));
    assertEquals("Allow", cj.getSpec().getConcurrencyPolicy());
    assertEquals(false, cj.getSpec().getSuspend());
    assertEquals(3, cj.getSpec().getSuccessfulJobsHistoryLimit());
    assertEquals(1, cj.getSpec().getFailedJobsHistoryLimit());
    assertEquals("Always", cj.getSpec().getJobTemplate().getSpec().getTemplate().getSpec().getContainers().get(0)
        .getImagePullPolicy(), "the template's pod is defaulted");
  }

  @Test
  void aBadScheduleIsInvalidWithTheParsersWords() {
    assertEquals(List.of("spec.schedule: Invalid value: \"61 * * * *\": end of range (61) above maximum (59): 61"),
        cronJob("61 * * * *", ""));
    assertEquals(List.of("spec.schedule: Invalid value: \"* * * *\": expected exactly 5 fields, found 4: [* * * *]"),
        cronJob("* * * *", ""));
    assertEquals(List.of("spec.schedule: Invalid value: \"CRON_TZ=UTC * * * * *\": cannot use TZ or CRON_TZ in"
        + " schedule, use timeZone field instead"), cronJob("CRON_TZ=UTC * * * * *", ""));
    assertHas(cronJob("", ""), "spec.schedule: Required value");
  }

  @Test
  void timeZonesCountsPoliciesAndTheTemplate() {
    assertEquals(List.of("spec.timeZone: Invalid value: \"Europe/Pariss\": unknown time zone Europe/Pariss"),
        cronJob("@daily", "timeZone: Europe/Pariss"));
    assertEquals(List.of("spec.timeZone: Invalid value: \"\": timeZone must be nil or non-empty string"),
        cronJob("@daily", "timeZone: \"\""));
    assertEquals(List.of("spec.timeZone: Invalid value: \"Local\": timeZone must be an explicit time zone as defined"
        + " in https://www.iana.org/time-zones"), cronJob("@daily", "timeZone: Local"));
    assertEquals(List.of("spec.concurrencyPolicy: Unsupported value: \"Sometimes\": supported values: \"Allow\","
        + " \"Forbid\", \"Replace\""), cronJob("@daily", "concurrencyPolicy: Sometimes"));
    assertHas(cronJob("@daily", "startingDeadlineSeconds: -1"),
        "spec.startingDeadlineSeconds: Invalid value: -1: must be greater than or equal to 0");
    assertHas(cronJob("@daily", "successfulJobsHistoryLimit: -2"),
        "spec.successfulJobsHistoryLimit: Invalid value: -2: must be greater than or equal to 0");
    List<String> always = errors(Kinds.CRON_JOB, CRON_JOB.replace("NAME", "hello").replace("SCHEDULE", "@daily")
        .replace("OnFailure", "Always"));
    assertEquals(List.of("spec.jobTemplate.spec.template.spec.restartPolicy: Unsupported value: \"Always\": supported"
        + " values: \"OnFailure\", \"Never\""), always);
    List<String> longName = errors(Kinds.CRON_JOB, CRON_JOB.replace("NAME", "a".repeat(53)).replace("SCHEDULE", "@daily"));
    assertEquals(List.of("metadata.name: Invalid value: \"" + "a".repeat(53) + "\": must be no more than 52 characters"),
        longName);
  }

  @Test
  void priorityClasses() {
    assertEquals(List.of(), errors(Kinds.PRIORITY_CLASS, "metadata: {name: high}\nvalue: 1000000\nglobalDefault: true"));
    PriorityClass pc = (PriorityClass) object(Kinds.PRIORITY_CLASS, "metadata: {name: high}\nvalue: 10");
    assertEquals("PreemptLowerPriority", pc.getPreemptionPolicy(), "defaulted");
    assertEquals(List.of("value: Forbidden: maximum allowed value of a user defined priority is 1000000000"),
        errors(Kinds.PRIORITY_CLASS, "metadata: {name: too-high}\nvalue: 1000000001"));
    assertEquals(List.of(), errors(Kinds.PRIORITY_CLASS, "metadata: {name: system-node-critical}\nvalue: 2000001000"));
    assertEquals(List.of("metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system"
        + " use only. error: value of system-cluster-critical PriorityClass must be 2000000000"),
        errors(Kinds.PRIORITY_CLASS, "metadata: {name: system-cluster-critical}\nvalue: 5"));
    assertEquals(List.of("metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system"
        + " use only. error: system-mine is not a known system priority class"),
        errors(Kinds.PRIORITY_CLASS, "metadata: {name: system-mine}\nvalue: 5"));
    assertEquals(List.of("preemptionPolicy: Unsupported value: \"Always\": supported values: \"Never\","
        + " \"PreemptLowerPriority\""),
        errors(Kinds.PRIORITY_CLASS, "metadata: {name: odd}\nvalue: 5\npreemptionPolicy: Always"));

    IndexedRecord was = object(Kinds.PRIORITY_CLASS, "metadata: {name: high}\nvalue: 10");
    IndexedRecord now = object(Kinds.PRIORITY_CLASS, "metadata: {name: high}\nvalue: 11\npreemptionPolicy: Never");
    assertEquals(List.of("value: Forbidden: may not be changed in an update.",
        "preemptionPolicy: Invalid value: \"Never\": field is immutable"),
        PriorityClassRules.checkUpdate(was, now).stream().map(FieldError::toString).toList());
    IndexedRecord described = object(Kinds.PRIORITY_CLASS, "metadata: {name: high}\nvalue: 10\ndescription: more");
    assertEquals(List.of(), PriorityClassRules.checkUpdate(was, described));
  }
}
