package io.capstan.scheduler.plugins;

import io.capstan.api.Container;
import io.capstan.api.PodSpec;
import io.capstan.scheduler.framework.ClusterEvent;
import io.capstan.scheduler.framework.ClusterSnapshot;
import io.capstan.scheduler.framework.CycleState;
import io.capstan.scheduler.framework.ImageNames;
import io.capstan.scheduler.framework.NodeInfo;
import io.capstan.scheduler.framework.PodInfo;
import io.capstan.scheduler.framework.PreScorePlugin;
import io.capstan.scheduler.framework.ScorePlugin;
import io.capstan.scheduler.framework.Status;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Prefers nodes that already hold the pod's images: the sizes of the images present, each scaled
 * by the share of nodes that have it (so one node holding a rare image does not attract every
 * pod), mapped from [23 MB, 1000 MB × containers] onto 0–100.
 */
public final class ImageLocality implements PreScorePlugin, ScorePlugin {
  public static final String NAME = "ImageLocality";
  static final long MB = 1024L * 1024;
  static final long MIN_THRESHOLD = 23 * MB;
  static final long MAX_CONTAINER_THRESHOLD = 1000 * MB;
  private static final String KEY = "PreScore" + NAME;

  private record Spread(List<String> images, Map<String, Integer> nodesWithImage, int totalNodes) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Set<ClusterEvent> events() {
    return Set.of();
  }

  @Override
  public Status preScore(CycleState state, PodInfo pod, List<NodeInfo> feasible, ClusterSnapshot snapshot) {
    List<String> images = new ArrayList<>();
    PodSpec spec = pod.spec();
    if (spec.getInitContainers() != null) {
      spec.getInitContainers().forEach(c -> addImage(images, c));
    }
    spec.getContainers().forEach(c -> addImage(images, c));
    Map<String, Integer> counts = new HashMap<>();
    for (String image : images) {
      counts.put(image, snapshot.nodesWithImage(image));
    }
    state.write(KEY, new Spread(images, counts, snapshot.nodes().size()));
    return Status.SUCCESS;
  }

  private static void addImage(List<String> images, Container c) {
    // One entry per container: the same image in two containers counts twice, as sumImageScores does.
    images.add(c.getImage() == null ? "" : ImageNames.normalize(c.getImage()));
  }

  @Override
  public long score(CycleState state, PodInfo pod, NodeInfo node) {
    Spread s = state.read(KEY, Spread.class);
    if (s == null || s.totalNodes == 0) {
      return 0;
    }
    long sum = 0;
    for (String image : s.images) {
      Long size = node.imageSizes().get(image);
      if (size != null) {
        sum += (long) (size * ((double) s.nodesWithImage.getOrDefault(image, 0) / s.totalNodes));
      }
    }
    return calculatePriority(sum, s.images.size());
  }

  static long calculatePriority(long sumScores, int containers) {
    long maxThreshold = MAX_CONTAINER_THRESHOLD * containers;
    long s = Math.max(MIN_THRESHOLD, Math.min(maxThreshold, sumScores));
    return MAX_NODE_SCORE * (s - MIN_THRESHOLD) / (maxThreshold - MIN_THRESHOLD);
  }
}
