package io.capstan.controllers.cronjob;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.CronJob;
import io.capstan.api.CronJobSpec;
import io.capstan.api.Event;
import io.capstan.api.Job;
import io.capstan.api.JobCondition;
import io.capstan.api.JobSpec;
import io.capstan.api.JobStatus;
import io.capstan.api.JobTemplateSpec;
import io.capstan.api.ObjectMeta;
import io.capstan.api.PodTemplateSpec;
import io.capstan.controllers.runtime.OwnerRefs;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.controllers.testing.Cluster;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.Informer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * CronJobs against a real broker and command processor, with the controller's clock moved by the
 * test: the test plays the Job controller, finishing Jobs by their status.
 */
class CronJobControllerKafkaTest {

  /** The wall clock plus an offset the test moves (the processor stamps objects with the real time). */
  static final class MovableClock extends Clock {
    private volatile Duration offset = Duration.ZERO;

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.now().plus(offset);
    }

    /** Moves the clock so that it reads {@code t} now. */
    void set(Instant t) {
      offset = Duration.between(Instant.now(), t);
    }

    void reset() {
      offset = Duration.ZERO;
    }
  }

  private static CronJob cronJob(String ns, String name, String schedule, Consumer<CronJobSpec> spec) {
    PodTemplateSpec t = Cluster.template(Map.of("app", name), "busybox");
    t.getSpec().setRestartPolicy("Never");
    CronJobSpec s = CronJobSpec.newBuilder().setSchedule(schedule)
        .setJobTemplate(JobTemplateSpec.newBuilder()
            .setMetadata(ObjectMeta.newBuilder().setLabels(Map.of("run-by", name)).build())
            .setSpec(JobSpec.newBuilder().setTemplate(t).build()).build())
        .build();
    spec.accept(s);
    return CronJob.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace(ns).setName(name).build())
        .setSpec(s).build();
  }

  private static List<Job> jobsOf(Informer<Job> jobs, String ns, String cronJob) {
    return jobs.list(ns).stream()
        .filter(j -> OwnerRefs.controllerOf(j.getMetadata()).map(r -> r.getName().equals(cronJob)).orElse(false))
        .filter(j -> j.getMetadata().getDeletionTimestamp() == null)
        .sorted(java.util.Comparator.comparing(j -> j.getMetadata().getName()))
        .toList();
  }

  private static List<String> namesOf(List<Job> jobs) {
    return jobs.stream().map(j -> j.getMetadata().getName()).toList();
  }

  /** The first whole minute after the object's creation: when an every-minute schedule first fires. */
  private static Instant firstMinuteAfter(CommandResult.Accepted created) {
    Instant c = Instant.parse(created.objectAs(CronJob.class).getMetadata().getCreationTimestamp());
    return c.truncatedTo(ChronoUnit.MINUTES).plus(Duration.ofMinutes(1));
  }

  private static void finish(Cluster cluster, Job cached, String condition, Instant at) throws Exception {
    Job j = PodTemplates.copy(cached);
    j.setStatus(JobStatus.newBuilder().setStartTime(at.minusSeconds(1).toString())
        .setCompletionTime("Complete".equals(condition) ? at.toString() : null)
        .setConditions(List.of(JobCondition.newBuilder().setType(condition).setStatus("True")
            .setLastTransitionTime(at.toString()).build()))
        .build());
    CommandResult r = cluster.client.updateStatus(j).get(30, TimeUnit.SECONDS);
    assertTrue(r instanceof CommandResult.Accepted, () -> "finishing " + j.getMetadata().getName() + ": " + r);
  }

  @Test
  void firesAtEachScheduledTimeKeepsHistoryAndCatchesUpOnlyOnTheLatestMissedTime() throws Exception {
    MovableClock clock = new MovableClock();
    try (Cluster cluster = new Cluster("cronjob-it");
        CronJobController cjc = new CronJobController(cluster.informers, cluster.writer, clock, 1, cluster.registry)) {
      Informer<CronJob> cronJobs = cluster.informers.informerFor(Kinds.CRON_JOB, CronJob.class);
      Informer<Job> jobs = cluster.informers.informerFor(Kinds.JOB, Job.class);
      Informer<Event> events = cluster.informers.informerFor(Kinds.EVENT, Event.class);
      cluster.startInformers();
      cjc.start();
      cluster.namespace("cron");
      clock.set(Instant.now().minusSeconds(120)); // behind the creation: nothing is due until the test says so

      // Every minute, keeping 2 successful Jobs and 1 failed one.
      CommandResult.Accepted created = cluster.create(cronJob("cron", "tick", "*/1 * * * *", s -> {
        s.setSuccessfulJobsHistoryLimit(2);
        s.setFailedJobsHistoryLimit(1);
      }));
      Instant m1 = firstMinuteAfter(created);
      Thread.sleep(300);
      assertEquals(List.of(), namesOf(jobsOf(jobs, "cron", "tick")), "nothing before the first scheduled time");

      clock.set(m1.plusSeconds(2));
      cjc.resync();
      String first = "tick-" + m1.getEpochSecond() / 60;
      Cluster.await("the first job", () -> namesOf(jobsOf(jobs, "cron", "tick")).equals(List.of(first)),
          () -> namesOf(jobsOf(jobs, "cron", "tick")).toString());
      Job job1 = jobs.get("cron", first).orElseThrow();
      assertEquals(m1.toString(),
          job1.getMetadata().getAnnotations().get(CronJobController.SCHEDULED_TIMESTAMP));
      assertEquals("tick", job1.getMetadata().getLabels().get("run-by"), "the template's labels");
      assertEquals(created.objectAs(CronJob.class).getMetadata().getUid(),
          OwnerRefs.controllerOf(job1.getMetadata()).orElseThrow().getUid());
      Cluster.await("active and lastScheduleTime", () -> cronJobs.get("cron", "tick").map(cj ->
          cj.getStatus() != null && cj.getStatus().getActive() != null && cj.getStatus().getActive().size() == 1
              && m1.toString().equals(cj.getStatus().getLastScheduleTime())).orElse(false));

      // It finishes: it leaves active, and its completion is the last successful time.
      finish(cluster, job1, "Complete", m1.plusSeconds(30));
      Cluster.await("lastSuccessfulTime", () -> cronJobs.get("cron", "tick").map(cj -> cj.getStatus().getActive() == null
          && m1.plusSeconds(30).toString().equals(cj.getStatus().getLastSuccessfulTime())).orElse(false));

      // Three more minutes, each Job finishing: two succeed, one fails; then a fifth that fails.
      String[] outcomes = {"Complete", "Failed", "Complete", "Failed"};
      for (int i = 0; i < outcomes.length; i++) {
        Instant m = m1.plus(Duration.ofMinutes(i + 1));
        String name = "tick-" + m.getEpochSecond() / 60;
        clock.set(m.plusSeconds(2));
        cjc.resync();
        Cluster.await(name, () -> jobs.get("cron", name).isPresent());
        finish(cluster, jobs.get("cron", name).orElseThrow(), outcomes[i], m.plusSeconds(20));
      }
      // Successes at m1, m2, m4 (keep m2, m4); failures at m3, m5 (keep m5).
      List<String> kept = List.of("tick-" + (m1.getEpochSecond() / 60 + 1), "tick-" + (m1.getEpochSecond() / 60 + 3),
          "tick-" + (m1.getEpochSecond() / 60 + 4));
      Cluster.await("history limits", () -> namesOf(jobsOf(jobs, "cron", "tick")).equals(kept),
          () -> namesOf(jobsOf(jobs, "cron", "tick")).toString());

      // Three hours without the controller looking: one Job, for the latest time, and a warning.
      Instant late = m1.plus(Duration.ofHours(3)).plusSeconds(10);
      clock.set(late);
      cjc.resync();
      String latest = "tick-" + late.getEpochSecond() / 60;
      Cluster.await("the latest missed time's job", () -> jobs.get("cron", latest).isPresent());
      Cluster.await("TooManyMissedTimes", () -> events.list("cron").stream()
          .anyMatch(e -> "TooManyMissedTimes".equals(e.getReason()) && e.getMessage().startsWith(
              "too many missed start times: 176.")));
      Thread.sleep(300);
      assertEquals(kept.size() + 1, jobsOf(jobs, "cron", "tick").size(), "no job for the other missed times");
    }
  }

  @Test
  void aTimeZoneMovesTheScheduleAndTheScheduledTimestamp() throws Exception {
    MovableClock clock = new MovableClock();
    try (Cluster cluster = new Cluster("cronjob-tz");
        CronJobController cjc = new CronJobController(cluster.informers, cluster.writer, clock, 1, cluster.registry)) {
      Informer<Job> jobs = cluster.informers.informerFor(Kinds.JOB, Job.class);
      cluster.startInformers();
      cjc.start();
      cluster.namespace("cron-tz");
      clock.set(Instant.now().minusSeconds(120));

      // 05:30 in Kolkata (UTC+05:30) is midnight UTC: the next one comes within a day of the creation.
      CommandResult.Accepted created = cluster.create(cronJob("cron-tz", "dawn", "30 5 * * *",
          s -> s.setTimeZone("Asia/Kolkata")));
      Instant midnight = Instant.parse(created.objectAs(CronJob.class).getMetadata().getCreationTimestamp())
          .truncatedTo(ChronoUnit.DAYS).plus(Duration.ofDays(1));
      clock.set(midnight.minusSeconds(60));
      cjc.resync();
      Thread.sleep(300);
      assertEquals(List.of(), namesOf(jobsOf(jobs, "cron-tz", "dawn")), "not due before 05:30 in Kolkata");

      clock.set(midnight.plusSeconds(2));
      cjc.resync();
      String name = "dawn-" + midnight.getEpochSecond() / 60;
      Cluster.await("the job at midnight UTC", () -> namesOf(jobsOf(jobs, "cron-tz", "dawn")).equals(List.of(name)),
          () -> namesOf(jobsOf(jobs, "cron-tz", "dawn")).toString());
      assertEquals(midnight.atZone(ZoneOffset.UTC).toLocalDate() + "T05:30:00+05:30", jobs.get("cron-tz", name)
          .orElseThrow().getMetadata().getAnnotations().get(CronJobController.SCHEDULED_TIMESTAMP),
          "the scheduled time in the CronJob's zone, as kube's RFC 3339");
    }
  }

  @Test
  void forbidSkipsReplaceReplacesSuspendWaitsAndTheDeadlineDrops() throws Exception {
    MovableClock clock = new MovableClock();
    try (Cluster cluster = new Cluster("cronjob-policies");
        CronJobController cjc = new CronJobController(cluster.informers, cluster.writer, clock, 1, cluster.registry)) {
      Informer<CronJob> cronJobs = cluster.informers.informerFor(Kinds.CRON_JOB, CronJob.class);
      Informer<Job> jobs = cluster.informers.informerFor(Kinds.JOB, Job.class);
      Informer<Event> events = cluster.informers.informerFor(Kinds.EVENT, Event.class);
      cluster.startInformers();
      cjc.start();
      cluster.namespace("policies");
      clock.set(Instant.now().minusSeconds(120));

      CommandResult.Accepted forbid = cluster.create(cronJob("policies", "forbid", "* * * * *",
          s -> s.setConcurrencyPolicy("Forbid")));
      CommandResult.Accepted replace = cluster.create(cronJob("policies", "replace", "* * * * *",
          s -> s.setConcurrencyPolicy("Replace")));
      CommandResult.Accepted suspended = cluster.create(cronJob("policies", "paused", "* * * * *",
          s -> s.setSuspend(true)));
      CommandResult.Accepted deadline = cluster.create(cronJob("policies", "deadline", "* * * * *",
          s -> s.setStartingDeadlineSeconds(10L)));
      Instant m1 = List.of(forbid, replace, suspended, deadline).stream().map(CronJobControllerKafkaTest::firstMinuteAfter)
          .max(Instant::compareTo).orElseThrow();
      long minute = m1.getEpochSecond() / 60;

      clock.set(m1.plusSeconds(2));
      cjc.resync();
      Cluster.await("forbid and replace ran", () -> jobs.get("policies", "forbid-" + minute).isPresent()
          && jobs.get("policies", "replace-" + minute).isPresent());
      Cluster.await("deadline ran within its deadline", () -> jobs.get("policies", "deadline-" + minute).isPresent());
      Cluster.await("both active", () -> active(cronJobs, "forbid") == 1 && active(cronJobs, "replace") == 1);

      // The next minute, with the first Jobs still running.
      clock.set(m1.plusSeconds(62));
      cjc.resync();
      Cluster.await("replace replaced", () -> namesOf(jobsOf(jobs, "policies", "replace"))
          .equals(List.of("replace-" + (minute + 1))), () -> namesOf(jobsOf(jobs, "policies", "replace")).toString());
      Cluster.await("JobAlreadyActive", () -> events.list("policies").stream()
          .anyMatch(e -> "JobAlreadyActive".equals(e.getReason()) && "forbid".equals(e.getInvolvedObject().getName())));
      assertEquals(List.of("forbid-" + minute), namesOf(jobsOf(jobs, "policies", "forbid")), "forbid skipped");
      assertEquals(List.of(), namesOf(jobsOf(jobs, "policies", "paused")), "suspended");

      // When the running one finishes, Forbid starts the time it skipped.
      finish(cluster, jobs.get("policies", "forbid-" + minute).orElseThrow(), "Complete", m1.plusSeconds(63));
      Cluster.await("forbid's skipped time runs", () -> jobs.get("policies", "forbid-" + (minute + 1)).isPresent());

      // Past the starting deadline: the time is dropped, the next one runs.
      clock.set(m1.plusSeconds(120 + 40));
      cjc.resync();
      Thread.sleep(500);
      assertTrue(jobs.get("policies", "deadline-" + (minute + 2)).isEmpty(), "40 s late with a 10 s deadline");
      clock.set(m1.plusSeconds(180 + 5));
      cjc.resync();
      Cluster.await("deadline's next time", () -> jobs.get("policies", "deadline-" + (minute + 3)).isPresent());

      // Resumed after three missed minutes: only the latest runs.
      CronJob paused = PodTemplates.copy(cronJobs.get("policies", "paused").orElseThrow());
      paused.getSpec().setSuspend(false);
      assertTrue(cluster.client.update(paused).get(30, TimeUnit.SECONDS) instanceof CommandResult.Accepted);
      Cluster.await("resumed", () -> !jobsOf(jobs, "policies", "paused").isEmpty());
      Thread.sleep(300);
      assertEquals(List.of("paused-" + (minute + 3)), namesOf(jobsOf(jobs, "policies", "paused")));
    }
  }

  private static int active(Informer<CronJob> cronJobs, String name) {
    return cronJobs.get("policies", name).map(cj -> cj.getStatus() == null || cj.getStatus().getActive() == null ? 0
        : cj.getStatus().getActive().size()).orElse(0);
  }
}
