package io.capstan.controllers.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.Job;
import io.capstan.api.JobCondition;
import io.capstan.api.JobSpec;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodStatus;
import io.capstan.api.PodTemplateSpec;
import io.capstan.controllers.gc.GarbageCollector;
import io.capstan.controllers.gc.OwnerGraph;
import io.capstan.controllers.runtime.OwnerRefs;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.controllers.testing.Cluster;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.ResourceEventHandler;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Jobs against a real broker and command processor; the test finishes pods as a node agent would. */
class JobControllerKafkaTest {

  record PodChange(long rv, String name, boolean active) {}

  private static Job job(String name, Consumer<JobSpec> spec) {
    PodTemplateSpec t = Cluster.template(Map.of("app", name), "busybox");
    t.getSpec().setRestartPolicy("Never");
    JobSpec s = JobSpec.newBuilder().setTemplate(t).build();
    spec.accept(s);
    return Job.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("jobs").setName(name).build())
        .setSpec(s).build();
  }

  @Test
  void completionsParallelismIndexesBackoffDeadlineAndTtl() throws Exception {
    try (Cluster cluster = new Cluster("job-it");
        JobController jc = new JobController(cluster.informers, cluster.writer, Clock.systemUTC(),
            Duration.ofMillis(100), 2, cluster.registry);
        GarbageCollector gc = new GarbageCollector(cluster.informers, OwnerGraph.defaultKinds(), cluster.writer, 1,
            cluster.registry)) {
      Informer<Job> jobs = cluster.informers.informerFor(Kinds.JOB, Job.class);
      Informer<Pod> pods = cluster.informers.informerFor(Kinds.POD, Pod.class);
      List<PodChange> changes = Collections.synchronizedList(new ArrayList<>());
      pods.addHandler(new ResourceEventHandler<>() {
        @Override
        public void onAdd(Pod p) {
          changes.add(new PodChange(rv(p), p.getMetadata().getName(), isActive(p)));
        }

        @Override
        public void onUpdate(Pod old, Pod p) {
          changes.add(new PodChange(rv(p), p.getMetadata().getName(), isActive(p)));
        }

        @Override
        public void onDelete(Pod p) {
          changes.add(new PodChange(Long.MAX_VALUE, p.getMetadata().getName(), false));
        }
      });
      cluster.startInformers();
      jc.start();
      gc.start();
      cluster.namespace("jobs");

      // NonIndexed: 4 completions, 2 at a time
      cluster.create(job("batch", s -> {
        s.setCompletions(4);
        s.setParallelism(2);
      }));
      Set<String> finished = new TreeSet<>();
      while (!completed(jobs, "batch")) {
        Cluster.await("an active pod of batch", () -> !activePods(pods, "batch").isEmpty() || completed(jobs, "batch"));
        for (Pod p : activePods(pods, "batch")) {
          if (finished.add(p.getMetadata().getName())) {
            finish(cluster, p, "Succeeded");
          }
        }
        Thread.sleep(50);
      }
      Job batch = jobs.get("jobs", "batch").orElseThrow();
      assertEquals(4, batch.getStatus().getSucceeded());
      assertEquals(0, batch.getStatus().getActive());
      assertTrue(batch.getStatus().getCompletionTime() != null);
      assertEquals(4, owned(pods, "batch").size(), "exactly completions pods were ever run: " + owned(pods, "batch"));
      assertMaxActive(changes, owned(pods, "batch"), 2);

      // Indexed: 3 completions in parallel, each pod knows its index
      cluster.create(job("indexed", s -> {
        s.setCompletions(3);
        s.setParallelism(3);
        s.setCompletionMode("Indexed");
      }));
      Cluster.await("3 indexed pods", () -> activePods(pods, "indexed").size() == 3);
      Set<String> indexes = new TreeSet<>();
      for (Pod p : activePods(pods, "indexed")) {
        String i = p.getMetadata().getAnnotations().get(JobPlanner.COMPLETION_INDEX);
        indexes.add(i);
        assertEquals(i, p.getMetadata().getLabels().get(JobPlanner.COMPLETION_INDEX));
        assertEquals("indexed-" + i, p.getSpec().getHostname());
        assertTrue(p.getMetadata().getName().startsWith("indexed-" + i + "-"), p.getMetadata().getName());
        assertEquals(i, p.getSpec().getContainers().get(0).getEnv().stream()
            .filter(e -> e.getName().equals("JOB_COMPLETION_INDEX")).findFirst().orElseThrow().getValue());
        finish(cluster, p, "Succeeded");
      }
      assertEquals(Set.of("0", "1", "2"), indexes);
      Cluster.await("indexed complete", () -> completed(jobs, "indexed"));
      assertEquals("0-2", jobs.get("jobs", "indexed").orElseThrow().getStatus().getCompletedIndexes());

      // backoffLimit 1: the second failure fails the Job
      cluster.create(job("flaky", s -> s.setBackoffLimit(1)));
      Set<String> failedPods = new TreeSet<>();
      for (int attempt = 0; attempt < 2; attempt++) {
        Cluster.await("a new flaky pod", () -> activePods(pods, "flaky").stream()
            .anyMatch(p -> !failedPods.contains(p.getMetadata().getName())));
        Pod p = activePods(pods, "flaky").stream().filter(x -> !failedPods.contains(x.getMetadata().getName()))
            .findFirst().orElseThrow();
        failedPods.add(p.getMetadata().getName());
        finish(cluster, p, "Failed");
      }
      Cluster.await("flaky failed", () -> condition(jobs, "flaky", "Failed") != null);
      JobCondition failed = condition(jobs, "flaky", "Failed");
      assertEquals("BackoffLimitExceeded", failed.getReason());
      assertEquals(2, jobs.get("jobs", "flaky").orElseThrow().getStatus().getFailed());
      Thread.sleep(300);
      assertEquals(2, owned(pods, "flaky").size(), "no third attempt");

      // activeDeadlineSeconds: a pod that never finishes, the Job fails and its pod is deleted
      cluster.create(job("slow", s -> s.setActiveDeadlineSeconds(1L)));
      Cluster.await("slow failed", () -> condition(jobs, "slow", "Failed") != null);
      assertEquals("DeadlineExceeded", condition(jobs, "slow", "Failed").getReason());
      Cluster.await("slow's pod deleted", () -> activePods(pods, "slow").isEmpty());

      // ttlSecondsAfterFinished 0: deleted (in the foreground, with its pods) as soon as it completes
      cluster.create(job("short", s -> s.setTtlSecondsAfterFinished(0)));
      Cluster.await("a short pod", () -> activePods(pods, "short").size() == 1);
      finish(cluster, activePods(pods, "short").get(0), "Succeeded");
      Cluster.await("short deleted after finishing", () -> jobs.get("jobs", "short").isEmpty()
          && owned(pods, "short").isEmpty());
    }
  }

  private static long rv(Pod p) {
    return Long.parseLong(p.getMetadata().getResourceVersion());
  }

  private static boolean isActive(Pod p) {
    String phase = p.getStatus() == null ? "Pending" : p.getStatus().getPhase();
    return p.getMetadata().getDeletionTimestamp() == null && !"Succeeded".equals(phase) && !"Failed".equals(phase);
  }

  /** In resourceVersion order, never more than {@code max} of the Job's pods were active at once. */
  private static void assertMaxActive(List<PodChange> changes, List<Pod> jobPods, int max) {
    Set<String> names = new TreeSet<>();
    jobPods.forEach(p -> names.add(p.getMetadata().getName()));
    List<PodChange> seq;
    synchronized (changes) {
      seq = new ArrayList<>(changes);
    }
    seq.removeIf(c -> !names.contains(c.name()));
    seq.sort(Comparator.comparingLong(PodChange::rv));
    Map<String, Boolean> state = new HashMap<>();
    for (PodChange c : seq) {
      state.put(c.name(), c.active());
      long active = state.values().stream().filter(b -> b).count();
      assertTrue(active <= max, active + " active pods at " + c + " in " + seq);
    }
  }

  private static void finish(Cluster cluster, Pod p, String phase) throws Exception {
    Pod done = PodTemplates.copy(p);
    done.setStatus(PodStatus.newBuilder().setPhase(phase).build());
    cluster.client.updateStatus(done).get(30, TimeUnit.SECONDS);
  }

  private static List<Pod> owned(Informer<Pod> pods, String job) {
    return pods.list("jobs").stream().filter(p -> OwnerRefs.controllerOf(p.getMetadata())
        .map(r -> r.getKind().equals("Job") && r.getName().equals(job)).orElse(false)).toList();
  }

  private static List<Pod> activePods(Informer<Pod> pods, String job) {
    return owned(pods, job).stream().filter(JobControllerKafkaTest::isActive).toList();
  }

  private static boolean completed(Informer<Job> jobs, String name) {
    return condition(jobs, name, "Complete") != null;
  }

  private static JobCondition condition(Informer<Job> jobs, String name, String type) {
    return jobs.get("jobs", name).filter(j -> j.getStatus() != null && j.getStatus().getConditions() != null)
        .flatMap(j -> j.getStatus().getConditions().stream()
            .filter(c -> c.getType().equals(type) && c.getStatus().equals("True")).findFirst())
        .orElse(null);
  }
}
