package io.capstan.logschema.validation;

import io.capstan.api.CronJob;
import io.capstan.api.CronJobSpec;
import io.capstan.api.JobTemplateSpec;
import io.capstan.logschema.cron.CronSchedule;
import io.capstan.logschema.cron.CronSyntaxException;
import java.time.DateTimeException;
import java.util.List;
import java.util.regex.Pattern;

/**
 * batch/v1 CronJob, as kube-apiserver's ValidateCronJob: the schedule parses as the controller
 * will read it (no {@code TZ=} in it: that is what {@code timeZone} is for), the time zone is an
 * IANA name, counts are not negative, the job template is a valid Job whose selector the API
 * generates, and the name leaves room for the Jobs' {@code -<minutes>} suffix.
 */
final class CronJobRules {
  public static final List<String> CONCURRENCY_POLICIES = List.of("Allow", "Forbid", "Replace");
  /** A Job's name is the CronJob's plus "-" and up to 11 digits, and must fit a 63-character label. */
  static final int MAX_NAME = 52;
  /** A part of an IANA zone name (letters, '.', '-', '_', and the legacy digits and '+'). */
  private static final Pattern ZONE_PART = Pattern.compile("^[A-Za-z.\\-_0-9+]{1,14}$");

  private CronJobRules() {}

  static void check(CronJob cj, FieldErrors errors) {
    String name = cj.getMetadata().getName();
    if (name != null && name.length() > MAX_NAME) {
      errors.add(FieldError.invalid("metadata.name", name, "must be no more than " + MAX_NAME + " characters"));
    }
    CronJobSpec spec = cj.getSpec();
    if (spec == null) {
      errors.add(FieldError.required("spec"));
      return;
    }
    String schedule = spec.getSchedule();
    if (schedule == null || schedule.isEmpty()) {
      errors.add(FieldError.required("spec.schedule"));
    } else {
      try {
        CronSchedule.parse(schedule);
      } catch (CronSyntaxException e) {
        errors.add(FieldError.invalid("spec.schedule", schedule, e.getMessage()));
      }
      if (schedule.contains("TZ")) {
        errors.add(FieldError.invalid("spec.schedule", schedule,
            "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"));
      }
    }
    errors.nonNegative("spec.startingDeadlineSeconds", spec.getStartingDeadlineSeconds());
    checkTimeZone(spec.getTimeZone(), errors);
    errors.requiredOneOf("spec.concurrencyPolicy", spec.getConcurrencyPolicy(), CONCURRENCY_POLICIES);
    JobTemplateSpec template = spec.getJobTemplate();
    if (template == null || template.getSpec() == null) {
      errors.add(FieldError.required("spec.jobTemplate.spec.template"));
    } else {
      if (template.getMetadata() != null) {
        MetadataRules.checkLabels("spec.jobTemplate.metadata.labels", template.getMetadata().getLabels(), errors);
        MetadataRules.checkAnnotations("spec.jobTemplate.metadata.annotations",
            template.getMetadata().getAnnotations(), errors);
      }
      WorkloadRules.checkJobSpec("spec.jobTemplate.spec", template.getSpec(), errors);
      // The Job controller generates each Job's selector from its uid.
      if (template.getSpec().getSelector() != null) {
        errors.add(FieldError.invalid("spec.jobTemplate.spec.selector", "{}", "`selector` will be auto-generated"));
      }
      if (Boolean.TRUE.equals(template.getSpec().getManualSelector())) {
        errors.add(FieldError.notSupported("spec.jobTemplate.spec.manualSelector", true, List.of("nil", "false")));
      }
    }
    errors.nonNegative("spec.successfulJobsHistoryLimit", spec.getSuccessfulJobsHistoryLimit());
    errors.nonNegative("spec.failedJobsHistoryLimit", spec.getFailedJobsHistoryLimit());
  }

  private static void checkTimeZone(String zone, FieldErrors errors) {
    if (zone == null) {
      return;
    }
    if (zone.isEmpty()) {
      errors.add(FieldError.invalid("spec.timeZone", zone, "timeZone must be nil or non-empty string"));
      return;
    }
    for (String part : zone.split("/", -1)) {
      if (part.equals(".") || part.equals("..") || part.startsWith("-") || !ZONE_PART.matcher(part).matches()) {
        errors.add(FieldError.invalid("spec.timeZone", zone, "unknown time zone " + zone));
        return;
      }
    }
    if (zone.equalsIgnoreCase("Local")) {
      errors.add(FieldError.invalid("spec.timeZone", zone,
          "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"));
      return;
    }
    try {
      CronSchedule.zone(zone);
    } catch (DateTimeException e) {
      errors.add(FieldError.invalid("spec.timeZone", zone, "unknown time zone " + zone));
    }
  }
}
