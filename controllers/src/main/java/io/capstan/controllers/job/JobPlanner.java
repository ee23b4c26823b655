package io.capstan.controllers.job;

import io.capstan.api.Pod;
import io.capstan.controllers.replicaset.PodDeletionRanking;
import io.capstan.controllers.runtime.PodConditions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The Job controller's accounting, without I/O: from the Job's numbers and its pods, how many
 * succeeded and failed, whether it is finished, which pods to start (and for which completion
 * index) and which active pods are surplus.
 */
public final class JobPlanner {
  public static final String COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index";
  /** As Kubernetes' default backoffLimit. */
  public static final int DEFAULT_BACKOFF_LIMIT = 6;

  private JobPlanner() {}

  /** What the planner needs of the Job's spec. */
  public record JobShape(int parallelism, Integer completions, boolean indexed, int backoffLimit) {
    public static JobShape of(Integer parallelism, Integer completions, String completionMode, Integer backoffLimit) {
      boolean indexed = "Indexed".equals(completionMode);
      return new JobShape(parallelism == null ? 1 : parallelism, completions, indexed,
          backoffLimit == null ? DEFAULT_BACKOFF_LIMIT : backoffLimit);
    }
  }

  /**
   * The plan.
   *
   * @param succeeded        succeeded pods (Indexed: distinct succeeded indexes)
   * @param failed           failed pods, plus container restarts when pods restart OnFailure
   * @param active           pods neither finished nor being deleted
   * @param complete         the Job reached its completions (or, without completions, one pod succeeded and none runs)
   * @param backoffExceeded  more failures than backoffLimit
   * @param toCreate         pods to start: a completion index each for Indexed, nulls for NonIndexed
   * @param toDelete         active pods that are not needed
   * @param completedIndexes Indexed only: the succeeded indexes as Kubernetes writes them ("0-2,5")
   */
  public record Plan(int succeeded, int failed, int active, boolean complete, boolean backoffExceeded,
      List<Integer> toCreate, List<Pod> toDelete, String completedIndexes) {}

  public static Plan plan(JobShape job, List<Pod> pods, boolean restartOnFailure) {
    List<Pod> active = new ArrayList<>();
    int succeededPods = 0;
    int failed = 0;
    TreeSet<Integer> succeededIndexes = new TreeSet<>();
    for (Pod p : pods) {
      String phase = PodConditions.phase(p);
      if (PodConditions.SUCCEEDED.equals(phase)) {
        succeededPods++;
        index(p).filter(i -> job.completions() != null && i < job.completions()).ifPresent(succeededIndexes::add);
      } else if (PodConditions.FAILED.equals(phase)) {
        failed++;
      } else if (p.getMetadata().getDeletionTimestamp() == null) {
        active.add(p);
      }
      if (restartOnFailure) {
        failed += PodConditions.restarts(p);
      }
    }
    boolean backoffExceeded = failed > job.backoffLimit();
    if (job.indexed()) {
      return planIndexed(job, active, succeededIndexes, failed, backoffExceeded);
    }
    int succeeded = succeededPods;
    boolean complete;
    int wantActive;
    if (job.completions() == null) {
      // work-queue Jobs: done once any pod succeeded and the others have stopped
      complete = succeeded > 0 && active.isEmpty();
      wantActive = succeeded > 0 ? active.size() : job.parallelism();
    } else {
      complete = succeeded >= job.completions();
      wantActive = Math.max(0, Math.min(job.parallelism(), job.completions() - succeeded));
    }
    List<Integer> toCreate = new ArrayList<>();
    List<Pod> toDelete = List.of();
    if (!complete && !backoffExceeded) {
      for (int i = active.size(); i < wantActive; i++) {
        toCreate.add(null);
      }
      if (active.size() > wantActive) {
        toDelete = PodDeletionRanking.podsToDelete(active, active, active.size() - wantActive);
      }
    }
    return new Plan(succeeded, failed, active.size(), complete, backoffExceeded, toCreate, toDelete, null);
  }

  private static Plan planIndexed(JobShape job, List<Pod> active, TreeSet<Integer> succeeded, int failed,
      boolean backoffExceeded) {
    int completions = job.completions() == null ? 0 : job.completions();
    List<Pod> toDelete = new ArrayList<>();
    Map<Integer, Pod> activeByIndex = new TreeMap<>();
    for (Pod p : active) {
      Optional<Integer> i = index(p);
      if (i.isEmpty() || i.get() >= completions || succeeded.contains(i.get()) || activeByIndex.containsKey(i.get())) {
        toDelete.add(p); // no valid index, already done, or a second pod for one index
      } else {
        activeByIndex.put(i.get(), p);
      }
    }
    boolean complete = succeeded.size() >= completions;
    int wantActive = Math.max(0, Math.min(job.parallelism(), completions - succeeded.size()));
    List<Integer> toCreate = new ArrayList<>();
    if (!complete && !backoffExceeded) {
      for (int i = 0; i < completions && activeByIndex.size() + toCreate.size() < wantActive; i++) {
        if (!succeeded.contains(i) && !activeByIndex.containsKey(i)) {
          toCreate.add(i);
        }
      }
      // parallelism lowered: the highest indexes wait
      List<Integer> running = new ArrayList<>(activeByIndex.keySet());
      for (int k = running.size() - 1; k >= wantActive; k--) {
        toDelete.add(activeByIndex.get(running.get(k)));
      }
    }
    return new Plan(succeeded.size(), failed, activeByIndex.size(), complete, backoffExceeded, toCreate, toDelete,
        intervals(succeeded));
  }

  /** The completion index a pod carries (annotation, else label). */
  public static Optional<Integer> index(Pod p) {
    String v = null;
    if (p.getMetadata().getAnnotations() != null) {
      v = p.getMetadata().getAnnotations().get(COMPLETION_INDEX);
    }
    if (v == null && p.getMetadata().getLabels() != null) {
      v = p.getMetadata().getLabels().get(COMPLETION_INDEX);
    }
    try {
      return v == null ? Optional.empty() : Optional.of(Integer.parseInt(v));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** Sorted indexes as Kubernetes' completedIndexes: consecutive runs as "first-last", joined by commas. */
  public static String intervals(java.util.SortedSet<Integer> indexes) {
    StringBuilder b = new StringBuilder();
    Integer first = null;
    Integer last = null;
    for (int i : indexes) {
      if (last != null && i == last + 1) {
        last = i;
        continue;
      }
      append(b, first, last);
      first = i;
      last = i;
    }
    append(b, first, last);
    return b.toString();
  }

  private static void append(StringBuilder b, Integer first, Integer last) {
    if (first == null) {
      return;
    }
    if (b.length() > 0) {
      b.append(',');
    }
    b.append(first);
    if (!first.equals(last)) {
      b.append('-').append(last);
    }
  }
}
