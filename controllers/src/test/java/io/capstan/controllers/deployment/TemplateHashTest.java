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

  /** What kubectl rollout undo sends: the old template through Go structs, with {@code resources: {}}. */
  @Test
  void anEmptyObjectEqualsAnAbsentOne() {
    PodTemplateSpec plain = template("busybox", null, Map.of("app", "a"));
    PodTemplateSpec undone = template("busybox", null, Map.of("app", "a"));
    undone.getSpec().getContainers().get(0).setResources(io.capstan.api.ResourceRequirements.newBuilder()
        .setLimits(Map.of()).build());
    assertTrue(TemplateHash.equalIgnoringHash(plain, undone), "resources: {limits: {}} is no resources at all");
    assertEquals(TemplateHash.of(plain, null), TemplateHash.of(undone, null));
    PodTemplateSpec limited = template("busybox", null, Map.of("app", "a"));
    limited.getSpec().getContainers().get(0).setResources(io.capstan.api.ResourceRequirements.newBuilder()
        .setLimits(Map.of("cpu", "1")).build());
    assertFalse(TemplateHash.equalIgnoringHash(plain, limited), "a real limit is a difference");
  }

  /**
   * A ReplicaSet stored before the API defaulted pod templates still belongs to its Deployment once
   * an update has stored the Deployment's template with the defaults filled in: no new rollout.
   */
  @Test
  void aTemplateStoredBeforeDefaultingEqualsItsDefaultedSelf() {
    PodTemplateSpec old = template("busybox:1.36", null, Map.of("app", "a"));
    PodTemplateSpec defaulted = template("busybox:1.36", null, Map.of("app", "a"));
    io.capstan.logschema.defaults.PodDefaults.template(defaulted);
    assertEquals("IfNotPresent", defaulted.getSpec().getContainers().get(0).getImagePullPolicy());
    assertTrue(TemplateHash.equalIgnoringHash(old, defaulted));
    assertEquals(TemplateHash.of(old, null), TemplateHash.of(defaulted, null));
    defaulted.getSpec().setRestartPolicy("OnFailure");
    assertFalse(TemplateHash.equalIgnoringHash(old, defaulted), "a value other than the default is a difference");
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
