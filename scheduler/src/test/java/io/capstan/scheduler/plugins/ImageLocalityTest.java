package io.capstan.scheduler.plugins;

import static io.capstan.scheduler.TestObjects.node;
import static io.capstan.scheduler.TestObjects.podInfo;
import static io.capstan.scheduler.TestObjects.snapshot;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.capstan.scheduler.framework.ClusterSnapshot;
import io.capstan.scheduler.framework.CycleState;
import io.capstan.scheduler.framework.ImageNames;
import io.capstan.scheduler.framework.NodeInfo;
import io.capstan.scheduler.framework.PodInfo;
import org.junit.jupiter.api.Test;

/** Image locality (cases after imagelocality's TestImageLocalityPriority). */
class ImageLocalityTest {
  private final ImageLocality plugin = new ImageLocality();

  private static NodeInfo withImages(String name, String images) {
    return new NodeInfo(node("metadata: {name: " + name + "}\nstatus: {images: " + images + "}"));
  }

  @Test
  void scoresBySizeAndSpread() {
    long mb = 1024 * 1024;
    NodeInfo n1 = withImages("n1", "[{names: [gcr.io/40:latest, gcr.io/40:v1], sizeBytes: %d}, {names: [gcr.io/300:latest], sizeBytes: %d}]"
        .formatted(40 * mb, 300 * mb));
    NodeInfo n2 = withImages("n2", "[{names: [gcr.io/250:latest], sizeBytes: %d}, {names: [gcr.io/10:latest], sizeBytes: %d}]"
        .formatted(250 * mb, 10 * mb));
    ClusterSnapshot s = snapshot(n1, n2);
    PodInfo pod = podInfo("metadata: {name: p}\nspec: {containers: [{name: a, image: gcr.io/40}, {name: b, image: gcr.io/250}]}");
    CycleState state = new CycleState();
    plugin.preScore(state, pod, s.nodes(), s);
    // n1: 40MB * 1/2 = 20MB -> below 23MB -> 0; n2: 250MB * 1/2 = 125MB -> 100 * (125 - 23) / (2000 - 23) = 5
    assertEquals(0, plugin.score(state, pod, n1));
    assertEquals(5, plugin.score(state, pod, n2));
  }

  @Test
  void bigImagesEverywhereScoreHigh() {
    long mb = 1024 * 1024;
    NodeInfo n1 = withImages("n1", "[{names: [big:v1], sizeBytes: %d}]".formatted(2000 * mb));
    ClusterSnapshot s = snapshot(n1);
    PodInfo pod = podInfo("metadata: {name: p}\nspec: {containers: [{name: a, image: big:v1}]}");
    CycleState state = new CycleState();
    plugin.preScore(state, pod, s.nodes(), s);
    assertEquals(100, plugin.score(state, pod, n1));
  }

  @Test
  void namesWithoutTagMeanLatest() {
    assertEquals("nginx:latest", ImageNames.normalize("nginx"));
    assertEquals("registry:5000/nginx:latest", ImageNames.normalize("registry:5000/nginx"));
    assertEquals("nginx:1.25", ImageNames.normalize("nginx:1.25"));
    assertEquals("nginx@sha256:abc", ImageNames.normalize("nginx@sha256:abc"));
  }
}
