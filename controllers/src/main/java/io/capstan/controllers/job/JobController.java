package io.capstan.controllers.job;

import io.capstan.api.Container;
import io.capstan.api.ContainerStatus;
import io.capstan.api.EnvVar;
import io.capstan.api.Job;
import io.capstan.api.JobCondition;
import io.capstan.api.JobStatus;
import io.capstan.api.OwnerReference;
import io.capstan.api.Pod;
import io.capstan.controllers.runtime.Controller;
import io.capstan.controllers.runtime.EventRecorder;
import io.capstan.controllers.runtime.Expectations;
import io.capstan.controllers.runtime.ObjectWriter;
import io.capstan.controllers.runtime.OwnerRefs;
import io.capstan.controllers.runtime.PodConditions;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.controllers.runtime.ReconcileResult;
import io.capstan.controllers.runtime.SlowStart;
import io.capstan.controllers.runtime.ShardAssignment;
import io.capstan.controllers.runtime.WorkQueue;
import io.capstan.controllers.runtime.WriteRejectedException;
import io.capstan.log.DeleteOptions;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.Indexes;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.ResourceEventHandler;
import io.capstan.stateviews.informer.SharedInformers;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes' Job controller (and its TTL-after-finished controller). Pods are the Job's by
 * controller reference; finished pods are kept and counted. Each reconcile plans with
 * {@link JobPlanner}; new pods after failures wait {@code podFailureBackoff * 2^(failures-1)},
 * capped at 6 minutes, as the Job controller's pod backoff. Expectations keep it from creating
 * pods twice before its creates come back through the pod informer.
 */
public final class JobController implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(JobController.class);
  public static final String NAME = "job";
  public static final String CONTROLLER_UID = "batch.kubernetes.io/controller-uid";
  public static final String JOB_NAME = "batch.kubernetes.io/job-name";
  /** As the Job controller's DefaultJobPodFailureBackOff and MaxJobPodFailureBackOff. */
  public static final Duration DEFAULT_POD_FAILURE_BACKOFF = Duration.ofSeconds(10);
  public static final Duration MAX_POD_FAILURE_BACKOFF = Duration.ofMinutes(6);

  private final Informer<Job> jobs;
  private final Informer<Pod> pods;
  private final ObjectWriter writer;
  private final Clock clock;
  private final Duration podFailureBackoff;
  private final Expectations expectations = new Expectations();
  private final WorkQueue queue;
  private final Controller controller;
  private final EventRecorder events;

  public JobController(SharedInformers informers, ObjectWriter writer, Clock clock, Duration podFailureBackoff,
      int workers, MeterRegistry registry) {
    this.jobs = informers.informerFor(Kinds.JOB, Job.class);
    this.pods = informers.informerFor(Kinds.POD, Pod.class);
    this.writer = Objects.requireNonNull(writer, "writer");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.podFailureBackoff = Objects.requireNonNull(podFailureBackoff, "podFailureBackoff");
    this.queue = WorkQueue.withDefaultRateLimiter(NAME, registry);
    this.controller = new Controller(NAME, queue, this::reconcile, workers, registry);
    this.events = new EventRecorder(writer, "job-controller", clock);
  }

  public void start() {
    log.info("job controller starting");
    jobs.addHandler(ResourceEventHandler.onAny((Job j) -> queue.add(key(j))));
    pods.addHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Pod p) {
        ownerJob(p).ifPresent(k -> {
          expectations.creationObserved(k);
          queue.add(k);
        });
      }

      @Override
      public void onUpdate(Pod old, Pod p) {
        ownerJob(p).ifPresent(k -> {
          if (p.getMetadata().getDeletionTimestamp() != null) {
            expectations.deletionObserved(k, podKey(p));
          }
          queue.add(k);
        });
      }

      @Override
      public void onDelete(Pod p) {
        ownerJob(p).ifPresent(k -> {
          expectations.deletionObserved(k, podKey(p));
          queue.add(k);
        });
      }
    });
    controller.start();
  }

  /** Reconcile only the keys of the shard's partitions (call before {@link #start}). */
  public void shardBy(ShardAssignment shard) {
    controller.shardBy(shard, jobs::keys);
  }

  @Override
  public void close() {
    controller.close();
  }

  static String key(Job j) {
    return OwnerRefs.key(Kinds.JOB, j.getMetadata());
  }

  static String podKey(Pod p) {
    return OwnerRefs.key(Kinds.POD, p.getMetadata());
  }

  private Optional<String> ownerJob(Pod p) {
    return OwnerRefs.controllerOf(p.getMetadata())
        .filter(r -> Kinds.JOB.kind().equals(r.getKind()))
        .map(r -> OwnerRefs.ownerKey(r, p.getMetadata().getNamespace()));
  }

  ReconcileResult reconcile(String key) throws Exception {
    String[] parts = key.split("/", 3);
    Optional<Job> found = jobs.get(parts[1], parts[2]);
    if (found.isEmpty()) {
      expectations.forget(key);
      return ReconcileResult.done();
    }
    Job job = found.get();
    Instant now = clock.instant();
    if (finishedAt(job).isPresent()) {
      return ttlAfterFinished(job, now);
    }
    if (job.getMetadata().getDeletionTimestamp() != null || job.getSpec() == null) {
      return ReconcileResult.done();
    }
    String uid = job.getMetadata().getUid();
    List<Pod> owned = pods.byIndex(Indexes.OWNER_UID, uid).stream()
        .filter(p -> OwnerRefs.controllerOf(p.getMetadata()).map(r -> uid.equals(r.getUid())).orElse(false))
        .toList();
    var spec = job.getSpec();
    JobPlanner.JobShape shape = JobPlanner.JobShape.of(spec.getParallelism(), spec.getCompletions(),
        spec.getCompletionMode(), spec.getBackoffLimit());
    boolean onFailure = spec.getTemplate().getSpec() != null
        && "OnFailure".equals(spec.getTemplate().getSpec().getRestartPolicy());
    JobPlanner.Plan plan = JobPlanner.plan(shape, owned, onFailure);
    JobStatus was = job.getStatus();
    JobStatus status = was == null ? JobStatus.newBuilder().build() : PodTemplates.copy(was);
    boolean suspended = Boolean.TRUE.equals(spec.getSuspend());
    if (status.getStartTime() == null && !suspended) {
      status.setStartTime(now.toString());
    }
    Instant start = status.getStartTime() == null ? now : Instant.parse(status.getStartTime());
    String failReason = null;
    String failMessage = null;
    if (plan.backoffExceeded()) {
      failReason = "BackoffLimitExceeded";
      failMessage = "Job has reached the specified backoff limit";
    } else if (spec.getActiveDeadlineSeconds() != null && !suspended
        && !now.isBefore(start.plusSeconds(spec.getActiveDeadlineSeconds()))) {
      failReason = "DeadlineExceeded";
      failMessage = "Job was active longer than specified deadline";
    }
    ReconcileResult result = ReconcileResult.done();
    List<JobCondition> conditions = new ArrayList<>(status.getConditions() == null ? List.of() : status.getConditions());
    String error = null;
    if (failReason != null) {
      error = deletePods(key, activeOf(owned));
      conditions.add(condition("Failed", failReason, failMessage, now));
      log.info("job {} failed: {}", key, failMessage);
    } else if (plan.complete()) {
      error = deletePods(key, activeOf(owned));
      conditions.add(condition("Complete", null, null, now));
      status.setCompletionTime(now.toString());
      log.info("job {} completed: {} succeeded", key, plan.succeeded());
    } else if (suspended) {
      error = deletePods(key, activeOf(owned));
    } else if (expectations.satisfied(key)) {
      if (!plan.toDelete().isEmpty()) {
        error = deletePods(key, plan.toDelete());
      }
      if (!plan.toCreate().isEmpty()) {
        Optional<Duration> wait = backoffLeft(plan.failed(), owned, now);
        if (wait.isPresent()) {
          result = ReconcileResult.requeueAfter(wait.get());
        } else {
          String err = createPods(key, job, plan.toCreate());
          error = error == null ? err : error;
        }
      }
    }
    status.setConditions(conditions.isEmpty() ? null : conditions);
    status.setActive(plan.active());
    status.setSucceeded(plan.succeeded());
    status.setFailed(plan.failed());
    status.setReady((int) activeOf(owned).stream().filter(PodConditions::isReady).count());
    status.setCompletedIndexes(shape.indexed() ? plan.completedIndexes() : null);
    if (!status.equals(was)) {
      Job updated = PodTemplates.copy(job);
      updated.setStatus(status);
      writer.updateStatus(updated);
      // recorded once the finishing status is accepted: a stale retry conflicts above and records nothing
      if (failReason != null) {
        events.warning(Kinds.JOB, job.getMetadata(), failReason, failMessage);
      } else if (plan.complete()) {
        events.normal(Kinds.JOB, job.getMetadata(), "Completed", "Job completed");
      }
    }
    if (error != null) {
      return ReconcileResult.failed(error);
    }
    if (failReason == null && !plan.complete() && spec.getActiveDeadlineSeconds() != null && !suspended) {
      Duration left = Duration.between(now, start.plusSeconds(spec.getActiveDeadlineSeconds())).plusMillis(10);
      result = ReconcileResult.sooner(result, ReconcileResult.requeueAfter(left));
    }
    return result;
  }

  private static List<Pod> activeOf(List<Pod> owned) {
    return owned.stream().filter(PodConditions::isActive).toList();
  }

  private static JobCondition condition(String type, String reason, String message, Instant now) {
    return JobCondition.newBuilder().setType(type).setStatus("True").setReason(reason).setMessage(message)
        .setLastProbeTime(now.toString()).setLastTransitionTime(now.toString()).build();
  }

  /** When the Job finished (its Complete or Failed condition turned True), if it did. */
  static Optional<Instant> finishedAt(Job job) {
    if (job.getStatus() == null || job.getStatus().getConditions() == null) {
      return Optional.empty();
    }
    for (JobCondition c : job.getStatus().getConditions()) {
      if (("Complete".equals(c.getType()) || "Failed".equals(c.getType())) && "True".equals(c.getStatus())) {
        return Optional.of(PodConditions.instant(c.getLastTransitionTime()).orElse(Instant.EPOCH));
      }
    }
    return Optional.empty();
  }

  /** The TTL-after-finished controller: a finished Job with ttlSecondsAfterFinished is deleted (foreground) when it expires. */
  private ReconcileResult ttlAfterFinished(Job job, Instant now) throws Exception {
    Integer ttl = job.getSpec() == null ? null : job.getSpec().getTtlSecondsAfterFinished();
    if (ttl == null || job.getMetadata().getDeletionTimestamp() != null) {
      return ReconcileResult.done();
    }
    Instant expires = finishedAt(job).orElseThrow().plusSeconds(ttl);
    if (now.isBefore(expires)) {
      return ReconcileResult.requeueAfter(Duration.between(now, expires).plusMillis(10));
    }
    log.info("job {} finished {} s ago: deleting it (ttlSecondsAfterFinished)", key(job), ttl);
    try {
      writer.delete(Kinds.JOB, job.getMetadata().getNamespace(), job.getMetadata().getName(), DeleteOptions.newBuilder()
          .setPreconditionUid(job.getMetadata().getUid()).setPropagationPolicy("Foreground").build());
    } catch (WriteRejectedException e) {
      if (!e.isNotFound()) {
        throw e;
      }
    }
    return ReconcileResult.done();
  }

  /** How long new pods must still wait after failures; empty when they may start now. */
  private Optional<Duration> backoffLeft(int failures, List<Pod> owned, Instant now) {
    if (failures <= 0) {
      return Optional.empty();
    }
    long factor = 1L << Math.min(failures - 1, 30);
    Duration delay = podFailureBackoff.multipliedBy(factor);
    if (delay.compareTo(MAX_POD_FAILURE_BACKOFF) > 0) {
      delay = MAX_POD_FAILURE_BACKOFF;
    }
    Instant lastFailure = Instant.EPOCH;
    for (Pod p : owned) {
      if (PodConditions.FAILED.equals(PodConditions.phase(p)) || PodConditions.restarts(p) > 0) {
        Instant t = finished(p);
        if (t.isAfter(lastFailure)) {
          lastFailure = t;
        }
      }
    }
    Instant allowed = lastFailure.plus(delay);
    return now.isBefore(allowed) ? Optional.of(Duration.between(now, allowed)) : Optional.empty();
  }

  /** When a failed pod finished: its containers' finishedAt, else its creation. */
  private static Instant finished(Pod p) {
    Instant latest = PodConditions.created(p);
    if (p.getStatus() != null && p.getStatus().getContainerStatuses() != null) {
      for (ContainerStatus s : p.getStatus().getContainerStatuses()) {
        for (var st : new io.capstan.api.ContainerState[] {s.getState(), s.getLastState()}) {
          if (st != null && st.getTerminated() != null) {
            Instant t = PodConditions.instant(st.getTerminated().getFinishedAt()).orElse(latest);
            latest = t.isAfter(latest) ? t : latest;
          }
        }
      }
    }
    return latest;
  }

  private String createPods(String key, Job job, List<Integer> indexes) throws InterruptedException {
    expectations.expectCreations(key, indexes.size());
    int next = 0;
    for (int size : SlowStart.batches(indexes.size())) {
      List<CompletableFuture<CommandResult>> batch = new ArrayList<>();
      for (int i = 0; i < size; i++) {
        batch.add(writer.createAsync(podFor(job, indexes.get(next++))));
      }
      String error = null;
      for (CompletableFuture<CommandResult> f : batch) {
        String err = outcome(f);
        if (err != null) {
          expectations.creationObserved(key);
          error = error == null ? err : error;
          events.warning(Kinds.JOB, job.getMetadata(), "FailedCreate", "Error creating: " + err);
        } else if (f.getNow(null) instanceof CommandResult.Accepted a && a.object() instanceof Pod p) {
          events.normal(Kinds.JOB, job.getMetadata(), "SuccessfulCreate", "Created pod: " + p.getMetadata().getName());
        }
      }
      if (error != null) {
        for (int i = next; i < indexes.size(); i++) {
          expectations.creationObserved(key);
        }
        return "create pods: " + error;
      }
    }
    log.info("job {}: created {} pods{}", key, indexes.size(),
        indexes.get(0) == null ? "" : " for indexes " + indexes);
    return null;
  }

  /** A pod for the Job (and a completion index when Indexed), as the Job controller stamps it. */
  static Pod podFor(Job job, Integer index) {
    Map<String, String> labels = new HashMap<>();
    String uid = job.getMetadata().getUid();
    labels.put(CONTROLLER_UID, uid);
    labels.put(JOB_NAME, job.getMetadata().getName());
    labels.put("controller-uid", uid);
    labels.put("job-name", job.getMetadata().getName());
    if (index != null) {
      labels.put(JobPlanner.COMPLETION_INDEX, Integer.toString(index));
    }
    Pod pod = PodTemplates.podFor(job.getSpec().getTemplate(), Kinds.JOB, job.getMetadata(), labels);
    if (index != null) {
      Map<String, String> annotations = new HashMap<>(pod.getMetadata().getAnnotations() == null ? Map.of()
          : pod.getMetadata().getAnnotations());
      annotations.put(JobPlanner.COMPLETION_INDEX, Integer.toString(index));
      pod.getMetadata().setAnnotations(annotations);
      pod.getMetadata().setGenerateName(job.getMetadata().getName() + "-" + index + "-");
      if (pod.getSpec() != null) {
        pod.getSpec().setHostname(job.getMetadata().getName() + "-" + index);
        for (Container c : pod.getSpec().getContainers()) {
          List<EnvVar> env = new ArrayList<>(c.getEnv() == null ? List.of() : c.getEnv());
          env.add(EnvVar.newBuilder().setName("JOB_COMPLETION_INDEX").setValue(Integer.toString(index)).build());
          c.setEnv(env);
        }
      }
    }
    return pod;
  }

  private String deletePods(String key, List<Pod> victims) throws InterruptedException {
    if (victims.isEmpty()) {
      return null;
    }
    Set<String> keys = new HashSet<>();
    victims.forEach(p -> keys.add(podKey(p)));
    expectations.expectDeletions(key, keys);
    List<CompletableFuture<CommandResult>> deletes = new ArrayList<>();
    for (Pod p : victims) {
      deletes.add(writer.deleteAsync(Kinds.POD, p.getMetadata().getNamespace(), p.getMetadata().getName(),
          DeleteOptions.newBuilder().setPreconditionUid(p.getMetadata().getUid()).build()));
    }
    String error = null;
    for (int i = 0; i < victims.size(); i++) {
      String err = outcome(deletes.get(i));
      if (err != null) {
        expectations.deletionObserved(key, podKey(victims.get(i)));
        if (!err.startsWith("404")) {
          error = error == null ? "delete pod " + victims.get(i).getMetadata().getName() + ": " + err : error;
        }
      }
    }
    return error;
  }

  private static String outcome(CompletableFuture<CommandResult> f) throws InterruptedException {
    try {
      CommandResult r = f.get(60, TimeUnit.SECONDS);
      if (r instanceof CommandResult.Rejected rej) {
        return rej.status().getCode() + " " + rej.status().getReason() + ": " + rej.status().getMessage();
      }
      return null;
    } catch (ExecutionException e) {
      return e.getCause().toString();
    } catch (TimeoutException e) {
      return "no answer within 60 s";
    }
  }

  /** For tests. */
  static Optional<OwnerReference> owner(Pod p) {
    return OwnerRefs.controllerOf(p.getMetadata());
  }
}
