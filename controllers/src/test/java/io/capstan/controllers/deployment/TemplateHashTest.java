package io.capstan.controllers.deployment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.Container;
import io.capstan.api.ObjectMeta;
import io.capstan.api.PodSpec;
import io.capstan.api.PodTemplateSpec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TemplateHashTest {
  static {
    io.capstan.logschema.kinds.TrustedModelClasses.install(); // before any generated class is built
  }

  private static PodTemplateSpec template(String image, List<io.capstan.api.EnvVar> env, Map<String, String> labels) {
    return PodTemplateSpec.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setLabels(labels).build())
        .setSpec(PodSpec.newBuilder().setContainers(List.of(
            Container.newBuilder().setName("main").setImage(image).setEnv(env).build())).build())
        .build();
  }

  @Test
  void theHashLabelAndEmptyCollectionsDoNotMakeATemplateDifferent() {
    PodTemplateSpec plain = template("busybox", null, Map.of("app", "a"));
    PodTemplateSpec undone = template("busybox", List.of(), Map.of("app", "a", TemplateHash.LABEL, "abc12"));
    assertTrue(TemplateHash.equalIgnoringHash(plain, undone), "a rolled-back template finds its old ReplicaSet");
    assertEquals(TemplateHash.of(plain, null), TemplateHash.of(undone, null));
  }

  @Test
  void aChangedFieldOrCollisionCountMakesAnotherHash() {
    PodTemplateSpec a = template("busybox", null, Map.of("app", "a"));
    PodTemplateSpec b = template("busybox:2", null, Map.of("app", "a"));
    assertFalse(TemplateHash.equalIgnoringHash(a, b));
    assertNotEquals(TemplateHash.of(a, null), TemplateHash.of(b, null));
    assertNotEquals(TemplateHash.of(a, null), TemplateHash.of(a, 1));
  }
}
