package io.capstan.controllers.cronjob;

import io.capstan.api.CronJob;
import io.capstan.api.CronJobSpec;
import io.capstan.api.CronJobStatus;
import io.capstan.api.Job;
import io.capstan.api.JobCondition;
import io.capstan.api.ObjectMeta;
import io.capstan.api.ObjectReference;
import io.capstan.controllers.runtime.Controller;
import io.capstan.controllers.runtime.EventRecorder;
import io.capstan.controllers.runtime.ObjectWriter;
import io.capstan.controllers.runtime.OwnerRefs;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.controllers.runtime.ReconcileResult;
import io.capstan.controllers.runtime.ShardAssignment;
import io.capstan.controllers.runtime.WorkQueue;
import io.capstan.controllers.runtime.WriteRejectedException;
import io.capstan.log.DeleteOptions;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.cron.CronSchedule;
import io.capstan.logschema.cron.CronSyntaxException;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.kinds.ObjectKey;
import io.capstan.stateviews.informer.Indexes;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.ResourceEventHandler;
import io.capstan.stateviews.informer.SharedInformers;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * kube-controller-manager's cronjob controller (v2). Each reconcile of a CronJob first brings
 * its status in step with its Jobs (finished ones leave {@code active}, the newest success sets
 * {@code lastSuccessfulTime}, Jobs gone missing are dropped), deletes finished Jobs beyond the
 * history limits, then, unless suspended, starts the Job of the most recent scheduled time that
 * has come and was not started yet: skipped if past {@code startingDeadlineSeconds}
 * (MissSchedule), or while another runs under Forbid (JobAlreadyActive); under Replace the
 * running Jobs are deleted first. Missed times after a restart are not made up: only the most
 * recent one runs, and more than 100 of them is reported (TooManyMissedTimes). The key is
 * queued again for the next scheduled time: no polling. Time is read from the given clock.
 */
public final class CronJobController implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CronJobController.class);
  public static final String NAME = "cronjob";
  /** The annotation with the scheduled time (in the CronJob's zone) on each Job it creates. */
  public static final String SCHEDULED_TIMESTAMP = "batch.kubernetes.io/cronjob-scheduled-timestamp";
  /** How soon to look again when the Job cache has not caught up with the CronJob's status. */
  static final Duration STALE_CACHE_RETRY = Duration.ofMillis(200);
  private static final DateTimeFormatter RFC1123Z = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss Z",
      java.util.Locale.ROOT);

  private final Informer<CronJob> cronJobs;
  private final Informer<Job> jobs;
  private final ObjectWriter writer;
  private final Clock clock;
  private final WorkQueue queue;
  private final Controller controller;
  private final EventRecorder events;
  /** Unfinished Jobs seen owned but not in {@code active}: reported once each, not at every reconcile. */
  private final Set<String> reportedUnexpected = ConcurrentHashMap.newKeySet();

  public CronJobController(SharedInformers informers, ObjectWriter writer, Clock clock, int workers,
      MeterRegistry registry) {
    this.cronJobs = informers.informerFor(Kinds.CRON_JOB, CronJob.class);
    this.jobs = informers.informerFor(Kinds.JOB, Job.class);
    this.writer = Objects.requireNonNull(writer, "writer");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.queue = WorkQueue.withDefaultRateLimiter(NAME, registry);
    this.controller = new Controller(NAME, queue, this::reconcile, workers, registry);
    this.events = new EventRecorder(writer, "cronjob-controller", clock);
  }

  public void start() {
    log.info("cronjob controller starting");
    cronJobs.addHandler(ResourceEventHandler.onAny((CronJob cj) -> queue.add(key(cj))));
    jobs.addHandler(ResourceEventHandler.onAny((Job j) -> ownerCronJob(j).ifPresent(queue::add)));
    controller.start();
  }

  /** Reconcile only the keys of the shard's partitions (call before {@link #start}). */
  public void shardBy(ShardAssignment shard) {
    controller.shardBy(shard, cronJobs::keys);
  }

  /** Looks at every CronJob now, as after the clock moved (tests move a manual clock, then call this). */
  public void resync() {
    cronJobs.keys().forEach(queue::add);
  }

  @Override
  public void close() {
    controller.close();
  }

  static String key(CronJob cj) {
    return OwnerRefs.key(Kinds.CRON_JOB, cj.getMetadata());
  }

  private static Optional<String> ownerCronJob(Job j) {
    return OwnerRefs.controllerOf(j.getMetadata())
        .filter(r -> Kinds.CRON_JOB.kind().equals(r.getKind()))
        .map(r -> OwnerRefs.ownerKey(r, j.getMetadata().getNamespace()));
  }

  /** {@code <cronjob>-<scheduled time in minutes since the epoch>} (getJobName). */
  static String jobName(String cronJob, Instant scheduled) {
    return cronJob + "-" + Math.floorDiv(scheduled.getEpochSecond(), 60);
  }

  ReconcileResult reconcile(String key) throws Exception {
    String[] parts = key.split("/", 3);
    Optional<CronJob> found = cronJobs.get(parts[1], parts[2]);
    if (found.isEmpty()) {
      return ReconcileResult.done();
    }
    CronJob cj = found.get();
    String uid = cj.getMetadata().getUid();
    List<Job> owned = jobs.byIndex(Indexes.OWNER_UID, uid).stream()
        .filter(j -> OwnerRefs.controllerOf(j.getMetadata()).map(r -> uid.equals(r.getUid())).orElse(false))
        .toList();
    CronJobStatus was = cj.getStatus();
    CronJobStatus status = was == null ? CronJobStatus.newBuilder().build() : PodTemplates.copy(was);
    List<ObjectReference> active = new ArrayList<>(status.getActive() == null ? List.of() : status.getActive());
    ReconcileResult result = syncJobs(cj, owned, active, status);
    result = ReconcileResult.sooner(result, cleanUpFinished(cj, owned, active));
    ReconcileResult scheduled = schedule(cj, active, status);
    status.setActive(active.isEmpty() ? null : active);
    if (!status.equals(was)) {
      CronJob updated = PodTemplates.copy(cj);
      updated.setStatus(status);
      CommandResult.Accepted a = writer.updateStatus(updated);
      // The next reconcile must see this status (its active Jobs, its last scheduled time).
      cronJobs.awaitApplied(a.partition(), a.resourceVersion(), Duration.ofSeconds(5));
    }
    return ReconcileResult.sooner(result, scheduled);
  }

  /** The status in step with the Jobs (the first half of syncCronJob). */
  private ReconcileResult syncJobs(CronJob cj, List<Job> owned, List<ObjectReference> active, CronJobStatus status) {
    Set<String> children = new HashSet<>();
    for (Job j : owned) {
      String jobUid = j.getMetadata().getUid();
      children.add(jobUid);
      boolean listed = active.stream().anyMatch(r -> jobUid.equals(r.getUid()));
      Optional<String> finished = finishedCondition(j);
      if (!listed && finished.isEmpty()) {
        if (reportedUnexpected.add(jobUid)) {
          events.warning(Kinds.CRON_JOB, cj.getMetadata(), "UnexpectedJob",
              "Saw a job that the controller did not create or forgot: " + j.getMetadata().getName());
        }
      } else if (listed && finished.isPresent()) {
        active.removeIf(r -> jobUid.equals(r.getUid()));
        events.normal(Kinds.CRON_JOB, cj.getMetadata(), "SawCompletedJob",
            "Saw completed job: " + j.getMetadata().getName() + ", condition: " + finished.get());
      }
      if ("Complete".equals(finished.orElse(null)) && j.getStatus() != null
          && j.getStatus().getCompletionTime() != null) {
        Instant done = Instant.parse(j.getStatus().getCompletionTime());
        if (status.getLastSuccessfulTime() == null || done.isAfter(Instant.parse(status.getLastSuccessfulTime()))) {
          status.setLastSuccessfulTime(j.getStatus().getCompletionTime());
        }
      }
    }
    ReconcileResult result = ReconcileResult.done();
    for (ObjectReference ref : List.copyOf(active)) {
      if (children.contains(ref.getUid())) {
        continue;
      }
      // Gone for good only when the Job cache has seen at least what the reference was taken at.
      String jobKey = new ObjectKey(Kinds.JOB.kind(), ref.getNamespace(), ref.getName()).toString();
      long rv = ref.getResourceVersion() == null ? 0 : Long.parseLong(ref.getResourceVersion());
      if (jobs.appliedResourceVersion(jobs.partitionOf(jobKey)) >= rv) {
        active.remove(ref);
        events.normal(Kinds.CRON_JOB, cj.getMetadata(), "MissingJob", "Active job went missing: " + ref.getName());
      } else {
        result = ReconcileResult.requeueAfter(STALE_CACHE_RETRY);
      }
    }
    return result;
  }

  /** "Complete" or "Failed" when the Job has that condition True (IsJobFinished). */
  private static Optional<String> finishedCondition(Job j) {
    if (j.getStatus() == null || j.getStatus().getConditions() == null) {
      return Optional.empty();
    }
    for (JobCondition c : j.getStatus().getConditions()) {
      if (("Complete".equals(c.getType()) || "Failed".equals(c.getType())) && "True".equals(c.getStatus())) {
        return Optional.of(c.getType());
      }
    }
    return Optional.empty();
  }

  /** Deletes the oldest finished Jobs beyond each history limit (cleanupFinishedJobs). */
  private ReconcileResult cleanUpFinished(CronJob cj, List<Job> owned, List<ObjectReference> active)
      throws InterruptedException {
    CronJobSpec spec = cj.getSpec();
    if (spec == null || (spec.getSuccessfulJobsHistoryLimit() == null && spec.getFailedJobsHistoryLimit() == null)) {
      return ReconcileResult.done();
    }
    Map<String, List<Job>> byOutcome = new HashMap<>();
    for (Job j : owned) {
      if (j.getMetadata().getDeletionTimestamp() == null) {
        finishedCondition(j).ifPresent(c -> byOutcome.computeIfAbsent(c, x -> new ArrayList<>()).add(j));
      }
    }
    boolean failed = false;
    failed |= !removeOldest(cj, byOutcome.getOrDefault("Complete", List.of()), spec.getSuccessfulJobsHistoryLimit(),
        active);
    failed |= !removeOldest(cj, byOutcome.getOrDefault("Failed", List.of()), spec.getFailedJobsHistoryLimit(), active);
    return failed ? ReconcileResult.failed("deleting finished jobs of " + key(cj)) : ReconcileResult.done();
  }

  /** False when a delete failed. */
  private boolean removeOldest(CronJob cj, List<Job> finished, Integer limit, List<ObjectReference> active)
      throws InterruptedException {
    if (limit == null || finished.size() <= limit) {
      return true;
    }
    List<Job> oldestFirst = new ArrayList<>(finished);
    oldestFirst.sort(BY_START_TIME);
    boolean ok = true;
    for (Job j : oldestFirst.subList(0, finished.size() - limit)) {
      ok &= deleteJob(cj, j.getMetadata().getName(), j.getMetadata().getUid(), active);
    }
    return ok;
  }

  /** Started earlier first, Jobs not started last, then by name (byJobStartTime). */
  private static final Comparator<Job> BY_START_TIME = Comparator
      .comparing((Job j) -> j.getStatus() == null || j.getStatus().getStartTime() == null ? null
          : Instant.parse(j.getStatus().getStartTime()), Comparator.nullsLast(Comparator.<Instant>naturalOrder()))
      .thenComparing(j -> j.getMetadata().getName());

  /** Deletes a Job (its pods in the background) and its active reference; false when refused. */
  private boolean deleteJob(CronJob cj, String name, String jobUid, List<ObjectReference> active)
      throws InterruptedException {
    String ns = cj.getMetadata().getNamespace();
    try {
      writer.delete(Kinds.JOB, ns, name, DeleteOptions.newBuilder().setPropagationPolicy("Background").build());
    } catch (WriteRejectedException e) {
      if (!e.isNotFound()) {
        events.warning(Kinds.CRON_JOB, cj.getMetadata(), "FailedDelete", "Deleted job: " + e.status().getMessage());
        log.warn("cronjob {}: deleting job {} failed: {}", key(cj), name, e.getMessage());
        return false;
      }
    }
    active.removeIf(r -> jobUid.equals(r.getUid()));
    events.normal(Kinds.CRON_JOB, cj.getMetadata(), "SuccessfulDelete", "Deleted job " + name);
    return true;
  }

  /** Starts the Job that is due, if any (the second half of syncCronJob); when to look again. */
  private ReconcileResult schedule(CronJob cj, List<ObjectReference> active, CronJobStatus status)
      throws InterruptedException {
    CronJobSpec spec = cj.getSpec();
    if (cj.getMetadata().getDeletionTimestamp() != null || spec == null) {
      return ReconcileResult.done();
    }
    ZoneId zone = ZoneOffset.UTC;
    if (spec.getTimeZone() != null) {
      try {
        zone = CronSchedule.zone(spec.getTimeZone());
      } catch (DateTimeException e) {
        events.warning(Kinds.CRON_JOB, cj.getMetadata(), "UnknownTimeZone",
            "invalid timeZone: \"" + spec.getTimeZone() + "\": " + e.getMessage());
        return ReconcileResult.done();
      }
    }
    if (Boolean.TRUE.equals(spec.getSuspend())) {
      return ReconcileResult.done();
    }
    CronSchedule schedule;
    try {
      schedule = CronSchedule.parse(spec.getSchedule());
    } catch (CronSyntaxException e) {
      events.warning(Kinds.CRON_JOB, cj.getMetadata(), "UnparseableSchedule",
          "unparseable schedule: \"" + spec.getSchedule() + "\" : " + e.getMessage());
      return ReconcileResult.done();
    }
    if (spec.getTimeZone() == null && schedule.zone().isPresent()) {
      zone = schedule.zone().get();
    }
    Instant now = clock.instant();
    Instant created = Instant.parse(cj.getMetadata().getCreationTimestamp());
    Instant last = status.getLastScheduleTime() == null ? null : Instant.parse(status.getLastScheduleTime());
    ScheduleTimes.Due due;
    try {
      due = ScheduleTimes.due(schedule, zone, created, last, spec.getStartingDeadlineSeconds(), now, true);
    } catch (ScheduleTimes.InvalidScheduleException e) {
      events.warning(Kinds.CRON_JOB, cj.getMetadata(), "InvalidSchedule",
          "invalid schedule: " + spec.getSchedule() + " : " + e.getMessage());
      return ReconcileResult.done();
    }
    Instant scheduled = due.mostRecent();
    if (scheduled != null && due.missed() > ScheduleTimes.TOO_MANY_MISSED) {
      events.warning(Kinds.CRON_JOB, cj.getMetadata(), "TooManyMissedTimes", "too many missed start times: "
          + due.missed() + ". Set or decrease .spec.startingDeadlineSeconds or check clock skew");
      log.info("cronjob {}: too many missed times ({})", key(cj), due.missed());
    }
    ReconcileResult next = untilNext(schedule, zone, created, spec, status, now);
    if (scheduled == null) {
      return next;
    }
    if (spec.getStartingDeadlineSeconds() != null
        && scheduled.plusSeconds(spec.getStartingDeadlineSeconds()).isBefore(now)) {
      events.warning(Kinds.CRON_JOB, cj.getMetadata(), "MissSchedule", "Missed scheduled time to start a job: "
          + RFC1123Z.format(scheduled.atZone(ZoneOffset.UTC)));
      return next;
    }
    String name = jobName(cj.getMetadata().getName(), scheduled);
    if (active.stream().anyMatch(r -> name.equals(r.getName())) || scheduled.equals(last)) {
      return next; // this time is taken care of
    }
    if ("Forbid".equals(spec.getConcurrencyPolicy()) && !active.isEmpty()) {
      events.normal(Kinds.CRON_JOB, cj.getMetadata(), "JobAlreadyActive",
          "Not starting job because prior execution is running and concurrency policy is Forbid");
      return next;
    }
    if ("Replace".equals(spec.getConcurrencyPolicy())) {
      for (ObjectReference r : List.copyOf(active)) {
        if (!deleteJob(cj, r.getName(), r.getUid(), active)) {
          return ReconcileResult.failed("could not replace job " + r.getNamespace() + "/" + r.getName());
        }
      }
    }
    Job job = jobFor(cj, name, scheduled, zone);
    Job started;
    long startedAt; // the resourceVersion the Job cache must reach before the Job counts as gone
    try {
      CommandResult.Accepted a = writer.create(job);
      started = a.objectAs(Job.class);
      startedAt = a.resourceVersion();
      events.normal(Kinds.CRON_JOB, cj.getMetadata(), "SuccessfulCreate", "Created job " + name);
      log.info("cronjob {}: created job {} for {}", key(cj), name, scheduled);
    } catch (WriteRejectedException e) {
      if (e.isNamespaceTerminating()) {
        return ReconcileResult.done();
      }
      if (!e.isAlreadyExists()) {
        events.warning(Kinds.CRON_JOB, cj.getMetadata(), "FailedCreate", "Error creating job: "
            + e.status().getMessage());
        return ReconcileResult.failed(e.getMessage());
      }
      // Created before (a restart between the create and the status update): adopt it if it is ours.
      Optional<Job> existing = jobs.get(cj.getMetadata().getNamespace(), name);
      if (existing.isEmpty()) {
        return ReconcileResult.requeueAfter(STALE_CACHE_RETRY);
      }
      boolean ours = OwnerRefs.controllerOf(existing.get().getMetadata())
          .map(r -> cj.getMetadata().getUid().equals(r.getUid())).orElse(false);
      if (!ours || active.stream().anyMatch(r -> existing.get().getMetadata().getUid().equals(r.getUid()))) {
        return next;
      }
      started = existing.get();
      startedAt = Long.parseLong(existing.get().getMetadata().getResourceVersion());
      log.info("cronjob {}: job {} already exists", key(cj), name);
    }
    ObjectMeta m = started.getMetadata();
    active.add(ObjectReference.newBuilder().setKind(Kinds.JOB.kind()).setApiVersion(Kinds.JOB.apiVersion())
        .setNamespace(m.getNamespace()).setName(m.getName()).setUid(m.getUid())
        .setResourceVersion(Long.toString(startedAt)).build());
    status.setLastScheduleTime(scheduled.toString());
    return untilNext(schedule, zone, created, spec, status, now);
  }

  private static ReconcileResult untilNext(CronSchedule schedule, ZoneId zone, Instant created, CronJobSpec spec,
      CronJobStatus status, Instant now) {
    Instant last = status.getLastScheduleTime() == null ? null : Instant.parse(status.getLastScheduleTime());
    return ScheduleTimes.untilNext(schedule, zone, created, last, spec.getStartingDeadlineSeconds(), now)
        .<ReconcileResult>map(ReconcileResult::requeueAfter).orElse(ReconcileResult.done());
  }

  /** The Job of one scheduled time (getJobFromTemplate2): the template, owned by the CronJob. */
  static Job jobFor(CronJob cj, String name, Instant scheduled, ZoneId zone) {
    var template = cj.getSpec().getJobTemplate();
    ObjectMeta tm = template.getMetadata();
    Map<String, String> labels = tm == null || tm.getLabels() == null ? new HashMap<>() : new HashMap<>(tm.getLabels());
    Map<String, String> annotations = tm == null || tm.getAnnotations() == null ? new HashMap<>()
        : new HashMap<>(tm.getAnnotations());
    annotations.put(SCHEDULED_TIMESTAMP, DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(
        scheduled.atZone(zone).toOffsetDateTime()));
    ObjectMeta meta = ObjectMeta.newBuilder().setNamespace(cj.getMetadata().getNamespace()).setName(name)
        .setLabels(labels.isEmpty() ? null : labels).setAnnotations(annotations)
        .setOwnerReferences(List.of(OwnerRefs.controllerRef(Kinds.CRON_JOB, cj.getMetadata()))).build();
    return Job.newBuilder().setMetadata(meta).setSpec(PodTemplates.copy(template.getSpec())).build();
  }
}
