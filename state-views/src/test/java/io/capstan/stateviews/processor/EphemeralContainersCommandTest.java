package io.capstan.stateviews.processor;

import static io.capstan.stateviews.processor.ProcessorHarness.pod;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.capstan.api.EphemeralContainer;
import io.capstan.api.Pod;
import io.capstan.log.Command;
import io.capstan.log.Reply;
import io.capstan.logschema.client.Commands;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The pods/ephemeralcontainers subresource at the single writer: ephemeral containers are only ever added. */
class EphemeralContainersCommandTest {
  private final ProcessorHarness h = new ProcessorHarness();
  private Pod stored;

  @BeforeEach
  void createPod() {
    h.withNamespace("apps");
    stored = h.accept(h.create(pod("apps", "web")));
  }

  @AfterEach
  void close() {
    h.close();
  }

  private static EphemeralContainer debugger(String name, String image) {
    return EphemeralContainer.newBuilder().setName(name).setImage(image).setCommand(List.of("sh")).build();
  }

  private Command ephemeral(Pod pod) {
    Command update = h.update(pod);
    update.setSubresource(Commands.EPHEMERAL_CONTAINERS);
    return update;
  }

  private static Pod withEphemeral(Pod base, EphemeralContainer... containers) {
    Pod p = Pod.newBuilder(base).build();
    p.getSpec().setEphemeralContainers(new ArrayList<>(List.of(containers)));
    return p;
  }

  @Test
  void anEphemeralContainerIsAddedDefaultedAndEverythingElseSentIsDropped() {
    Pod sent = withEphemeral(stored, debugger("debugger", "busybox:1.36"));
    sent.getMetadata().setLabels(Map.of("sneaked", "in"));
    sent.getSpec().getContainers().get(0).setImage("evil:1");
    Pod after = h.accept(ephemeral(sent));
    EphemeralContainer added = after.getSpec().getEphemeralContainers().get(0);
    assertEquals("debugger", added.getName());
    assertEquals("IfNotPresent", added.getImagePullPolicy(), "SetDefaults_EphemeralContainer");
    assertEquals("File", added.getTerminationMessagePolicy());
    assertNull(after.getMetadata().getLabels(), "only spec.ephemeralContainers is taken");
    assertEquals(stored.getSpec().getContainers().get(0).getImage(), after.getSpec().getContainers().get(0).getImage());
    assertEquals(stored.getMetadata().getGeneration() + 1, after.getMetadata().getGeneration());

    // A plain update neither removes nor adds them.
    Pod plain = Pod.newBuilder(after).build();
    plain.getSpec().setEphemeralContainers(null);
    plain.getMetadata().setLabels(Map.of("tier", "web"));
    Pod updated = h.accept(h.update(plain));
    assertEquals(1, updated.getSpec().getEphemeralContainers().size(), "ephemeral containers belong to their subresource");
  }

  @Test
  void existingEphemeralContainersMayNeitherChangeNorGo() {
    Pod after = h.accept(ephemeral(withEphemeral(stored, debugger("one", "busybox:1.36"))));

    Reply removed = h.send(ephemeral(withEphemeral(after, debugger("two", "busybox:1.36"))));
    assertFalse(removed.getAccepted());
    assertEquals(422, removed.getStatus().getCode());
    assertEquals("spec.ephemeralContainers", removed.getStatus().getCauses().get(0).getField());
    assertEquals("Forbidden: existing ephemeral containers \"one\" may not be removed\n",
        removed.getStatus().getCauses().get(0).getMessage());

    EphemeralContainer changed = EphemeralContainer.newBuilder(after.getSpec().getEphemeralContainers().get(0))
        .setImage("busybox:1.37").build();
    Reply edited = h.send(ephemeral(withEphemeral(after, changed)));
    assertEquals(422, edited.getStatus().getCode());
    assertEquals("spec.ephemeralContainers[one]", edited.getStatus().getCauses().get(0).getField());
    assertEquals("Forbidden: existing ephemeral containers \"one\" may not be changed\nimage",
        edited.getStatus().getCauses().get(0).getMessage());
  }

  @Test
  void aPodIsNotCreatedWithEphemeralContainers() {
    Reply r = h.send(h.create(withEphemeral(pod("apps", "early"), debugger("d", "busybox:1.36"))));
    assertEquals(422, r.getStatus().getCode());
    assertEquals("spec.ephemeralContainers: Forbidden: cannot be set on create",
        r.getStatus().getCauses().get(0).getField() + ": " + r.getStatus().getCauses().get(0).getMessage());
  }
}
