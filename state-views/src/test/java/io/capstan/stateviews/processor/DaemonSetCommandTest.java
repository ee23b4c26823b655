package io.capstan.stateviews.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ControllerRevision;
import io.capstan.api.DaemonSet;
import io.capstan.log.Reply;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kinds;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** DaemonSets and ControllerRevisions through the command processor: defaults, immutable selector and data. */
class DaemonSetCommandTest {
  private final ProcessorHarness h = new ProcessorHarness();

  @AfterEach
  void close() {
    h.close();
  }

  private static DaemonSet ds(String selector, String image) {
    return (DaemonSet) KubeJson.fromJson(Kinds.DAEMON_SET, KubeJson.parse("""
        metadata: {name: agent, namespace: apps}
        spec:
          selector: {matchLabels: SELECTOR}
          template:
            metadata: {labels: {app: agent, tier: node}}
            spec: {containers: [{name: agent, image: IMAGE}]}
        """.replace("SELECTOR", selector).replace("IMAGE", image))).object();
  }

  @Test
  void theSelectorIsImmutableAndATemplateChangeIsANewGeneration() {
    h.withNamespace("apps");
    DaemonSet created = h.accept(h.create(ds("{app: agent}", "agent:1")));
    assertEquals("RollingUpdate", created.getSpec().getUpdateStrategy().getType(), "defaulted");
    assertEquals(1L, created.getMetadata().getGeneration());

    Reply refused = h.send(h.update(ds("{app: agent, tier: node}", "agent:1")));
    assertFalse(refused.getAccepted());
    assertEquals(422, refused.getStatus().getCode());
    assertTrue(refused.getStatus().getMessage().contains("spec.selector: Invalid value:")
        && refused.getStatus().getMessage().contains("field is immutable"), refused.getStatus().getMessage());

    DaemonSet updated = h.accept(h.update(ds("{app: agent}", "agent:2")));
    assertEquals(2L, updated.getMetadata().getGeneration());
  }

  @Test
  void aRevisionsDataCannotChangeButItsNumberCan() {
    h.withNamespace("apps");
    String yaml = """
        metadata: {name: agent-1, namespace: apps}
        data: {spec: {template: {$patch: replace, spec: {containers: [{name: a, image: IMAGE}]}}}}
        revision: NUMBER
        """;
    h.accept(h.create(KubeJson.fromJson(Kinds.CONTROLLER_REVISION, KubeJson.parse(
        yaml.replace("IMAGE", "a:1").replace("NUMBER", "1"))).object()));
    ControllerRevision renumbered = h.accept(h.update(KubeJson.fromJson(Kinds.CONTROLLER_REVISION, KubeJson.parse(
        yaml.replace("IMAGE", "a:1").replace("NUMBER", "4"))).object()));
    assertEquals(4L, renumbered.getRevision());
    Reply refused = h.send(h.update(KubeJson.fromJson(Kinds.CONTROLLER_REVISION, KubeJson.parse(
        yaml.replace("IMAGE", "a:2").replace("NUMBER", "4"))).object()));
    assertEquals(422, refused.getStatus().getCode());
    assertTrue(refused.getStatus().getMessage().contains("data: Invalid value:")
        && refused.getStatus().getMessage().contains("field is immutable"), refused.getStatus().getMessage());
  }
}
