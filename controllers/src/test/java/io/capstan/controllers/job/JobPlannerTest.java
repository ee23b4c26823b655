package io.capstan.controllers.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ContainerStatus;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodStatus;
import io.capstan.controllers.job.JobPlanner.JobShape;
import io.capstan.controllers.job.JobPlanner.Plan;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class JobPlannerTest {
  static {
    io.capstan.logschema.kinds.TrustedModelClasses.install();
  }

  private static int n;

  private static Pod pod(String phase, Integer index, int restarts) {
    ObjectMeta.Builder m = ObjectMeta.newBuilder().setName("p" + (n++)).setNamespace("ns")
        .setCreationTimestamp("2026-01-01T00:00:00Z");
    if (index != null) {
      m.setAnnotations(Map.of(JobPlanner.COMPLETION_INDEX, index.toString()));
    }
    return Pod.newBuilder().setMetadata(m.build())
        .setStatus(PodStatus.newBuilder().setPhase(phase).setContainerStatuses(
            List.of(ContainerStatus.newBuilder().setName("c").setRestartCount(restarts).build())).build())
        .build();
  }

  private static List<Pod> pods(Pod... p) {
    return new ArrayList<>(Arrays.asList(p));
  }

  @Test
  void nonIndexedRunsUpToParallelismAndNoMoreThanRemaining() {
    JobShape job = JobShape.of(2, 3, null, null);
    Plan p = JobPlanner.plan(job, pods(), false);
    assertEquals(2, p.toCreate().size());
    p = JobPlanner.plan(job, pods(pod("Succeeded", null, 0), pod("Succeeded", null, 0), pod("Running", null, 0)), false);
    assertEquals(0, p.toCreate().size(), "one left to complete and one running");
    assertEquals(2, p.succeeded());
    assertEquals(1, p.active());
    assertFalse(p.complete());
    p = JobPlanner.plan(job, pods(pod("Succeeded", null, 0), pod("Succeeded", null, 0), pod("Succeeded", null, 0)), false);
    assertTrue(p.complete());
    assertTrue(p.toCreate().isEmpty());
  }

  @Test
  void loweredParallelismDeletesSurplusActivePods() {
    JobShape job = JobShape.of(1, 5, "NonIndexed", null);
    Plan p = JobPlanner.plan(job, pods(pod("Running", null, 0), pod("Pending", null, 0), pod("Running", null, 0)), false);
    assertEquals(2, p.toDelete().size());
    assertEquals("Pending", p.toDelete().get(0).getStatus().getPhase(), "pending pods go first");
  }

  @Test
  void workQueueJobsCompleteWhenOneSucceededAndNoneRuns() {
    JobShape job = JobShape.of(3, null, null, null);
    assertEquals(3, JobPlanner.plan(job, pods(), false).toCreate().size());
    Plan p = JobPlanner.plan(job, pods(pod("Succeeded", null, 0), pod("Running", null, 0)), false);
    assertFalse(p.complete());
    assertTrue(p.toCreate().isEmpty(), "no new pods once one succeeded");
    assertTrue(JobPlanner.plan(job, pods(pod("Succeeded", null, 0), pod("Failed", null, 0)), false).complete());
  }

  @Test
  void failuresCountAgainstTheBackoffLimitIncludingRestartsOnFailure() {
    JobShape job = JobShape.of(1, 1, null, 2);
    assertFalse(JobPlanner.plan(job, pods(pod("Failed", null, 0), pod("Failed", null, 0)), false).backoffExceeded());
    Plan p = JobPlanner.plan(job, pods(pod("Failed", null, 0), pod("Failed", null, 0), pod("Failed", null, 0)), false);
    assertTrue(p.backoffExceeded());
    assertTrue(p.toCreate().isEmpty());
    assertEquals(3, p.failed());
    assertTrue(JobPlanner.plan(job, pods(pod("Running", null, 3)), true).backoffExceeded(),
        "with restartPolicy OnFailure container restarts are failures");
    assertEquals(6, JobShape.of(null, null, null, null).backoffLimit(), "Kubernetes' default");
  }

  @Test
  void indexedStartsTheLowestMissingIndexesAndReportsCompletedIntervals() {
    JobShape job = JobShape.of(2, 6, "Indexed", null);
    Plan p = JobPlanner.plan(job, pods(pod("Succeeded", 0, 0), pod("Running", 1, 0), pod("Failed", 2, 0),
        pod("Succeeded", 3, 0)), false);
    assertEquals(List.of(2), p.toCreate(), "index 2 failed and is retried; parallelism 2 with index 1 running");
    assertEquals("0,3", p.completedIndexes());
    assertEquals(2, p.succeeded());
    assertFalse(p.complete());
    Plan done = JobPlanner.plan(JobShape.of(3, 3, "Indexed", null),
        pods(pod("Succeeded", 2, 0), pod("Succeeded", 0, 0), pod("Succeeded", 1, 0), pod("Succeeded", 1, 0)), false);
    assertTrue(done.complete());
    assertEquals("0-2", done.completedIndexes());
  }

  @Test
  void indexedDeletesDuplicatesAndPodsOfFinishedIndexes() {
    JobShape job = JobShape.of(3, 3, "Indexed", null);
    Plan p = JobPlanner.plan(job, pods(pod("Succeeded", 0, 0), pod("Running", 0, 0), pod("Running", 1, 0),
        pod("Pending", 1, 0), pod("Running", 7, 0)), false);
    assertEquals(3, p.toDelete().size(), "a pod of the done index 0, a second pod of index 1, index 7 out of range");
    assertEquals(List.of(2), p.toCreate());
  }

  @Test
  void intervalsAreWrittenAsKubernetesDoes() {
    assertEquals("", JobPlanner.intervals(new TreeSet<>()));
    assertEquals("1-3,5,7-8", JobPlanner.intervals(new TreeSet<>(List.of(1, 2, 3, 5, 7, 8))));
    assertEquals("0", JobPlanner.intervals(new TreeSet<>(List.of(0))));
  }
}
