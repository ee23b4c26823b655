package io.capstan.stateviews.processor;

import static io.capstan.stateviews.processor.ProcessorHarness.configMap;
import static io.capstan.stateviews.processor.ProcessorHarness.header;
import static io.capstan.stateviews.processor.ProcessorHarness.object;
import static io.capstan.stateviews.processor.ProcessorHarness.pod;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ConfigMap;
import io.capstan.api.Pod;
import io.capstan.api.PodStatus;
import io.capstan.log.Command;
import io.capstan.log.CommandOp;
import io.capstan.log.Event;
import io.capstan.log.EventOp;
import io.capstan.log.Reply;
import io.capstan.logschema.kinds.Kinds;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class UpdateCommandTest {
  private final ProcessorHarness h = new ProcessorHarness();
  private ConfigMap created;

  @BeforeEach
  void setUp() {
    h.withNamespace("apps");
    created = h.accept(h.create(configMap("apps", "cfg", Map.of("k", "v1"))));
    h.drain();
    h.clock.advance(Duration.ofSeconds(5));
  }

  @AfterEach
  void close() {
    h.close();
  }

  @Test
  void anUpdateAtTheStoredResourceVersionIsAppliedWithANewerOne() {
    ConfigMap next = ProcessorHarness.configMap("apps", "cfg", Map.of("k", "v2"));
    next.getMetadata().setResourceVersion(created.getMetadata().getResourceVersion());

    Reply r = h.send(h.update(next));

    assertTrue(r.getAccepted(), () -> String.valueOf(r.getStatus()));
    ConfigMap stored = object(r);
    assertTrue(r.getResourceVersion() > Long.parseLong(created.getMetadata().getResourceVersion()));
    assertEquals(Map.of("k", "v2"), stored.getData());
    assertEquals(created.getMetadata().getUid(), stored.getMetadata().getUid());
    assertEquals(created.getMetadata().getCreationTimestamp(), stored.getMetadata().getCreationTimestamp());
    List<Event> events = h.events();
    assertEquals(1, events.size());
    assertEquals(EventOp.UPDATED, events.get(0).getOp());
    assertEquals(stored, object(events.get(0)));
    assertTrue(events.get(0).getChangedPaths().contains("data.k"), events.get(0).getChangedPaths().toString());
    assertTrue(events.get(0).getMergePatch().contains("v2"), events.get(0).getMergePatch());
    List<TestRecord<String, byte[]>> state = h.stateRecords(Kinds.CONFIG_MAP);
    assertEquals(1, state.size());
    assertEquals(Long.toString(r.getResourceVersion()), header(state.get(0), CommandApplier.RV_HEADER));
  }

  @Test
  void anUpdateAtAnOlderResourceVersionIsAConflict() {
    ConfigMap first = configMap("apps", "cfg", Map.of("k", "v2"));
    first.getMetadata().setResourceVersion(created.getMetadata().getResourceVersion());
    ConfigMap firstStored = h.accept(h.update(first));
    h.drain();

    ConfigMap stale = configMap("apps", "cfg", Map.of("k", "v3"));
    stale.getMetadata().setResourceVersion(created.getMetadata().getResourceVersion());
    Reply r = h.send(h.update(stale));

    assertFalse(r.getAccepted());
    assertEquals(409, r.getStatus().getCode());
    assertEquals("Conflict", r.getStatus().getReason());
    assertEquals("Operation cannot be fulfilled on configmaps \"cfg\": the object has been modified; please apply your"
        + " changes to the latest version and try again", r.getStatus().getMessage());
    assertEquals(Long.parseLong(firstStored.getMetadata().getResourceVersion()), r.getResourceVersion(), "the refusal names the version it lost to");
    assertTrue(h.events().isEmpty());
  }

  /** A PATCH's update at a stale version carries its patch: the processor re-applies it to what is stored. */
  @Test
  void aStalePatchedUpdateIsRedoneOnTheStoredObject() {
    ConfigMap other = configMap("apps", "cfg", Map.of("k", "v1", "theirs", "x"));
    other.getMetadata().setResourceVersion(created.getMetadata().getResourceVersion());
    h.accept(h.update(other));
    h.drain();

    // Computed by a gateway from the version it read (k=v1 only), with the patch that made it.
    ConfigMap mine = configMap("apps", "cfg", Map.of("k", "v1", "mine", "y"));
    mine.getMetadata().setResourceVersion(created.getMetadata().getResourceVersion());
    Reply r = h.send(h.patched(h.update(mine), "application/merge-patch+json", "{\"data\":{\"mine\":\"y\"}}"));

    assertTrue(r.getAccepted(), () -> String.valueOf(r.getStatus()));
    assertEquals(Map.of("k", "v1", "theirs", "x", "mine", "y"), ((ConfigMap) object(r)).getData(),
        "both writes survive: the patch was applied to the newer object");
    assertEquals(1, h.events().size());
  }

  @Test
  void aStaleStrategicPatchOfAStatusIsRedoneOnTheStoredObject() {
    Pod p = h.accept(h.create(pod("apps", "p")));
    h.drain();
    Pod running = Pod.newBuilder(p).setStatus(PodStatus.newBuilder().setPhase("Running").build()).build();
    h.accept(h.updateStatus(running));
    h.drain();

    Pod stale = Pod.newBuilder(p).setStatus(PodStatus.newBuilder().setPhase("Pending").setMessage("hello").build())
        .build();
    Reply r = h.send(h.patched(h.updateStatus(stale), "application/strategic-merge-patch+json",
        "{\"status\":{\"message\":\"hello\"}}"));

    assertTrue(r.getAccepted(), () -> String.valueOf(r.getStatus()));
    Pod stored = object(r);
    assertEquals("Running", stored.getStatus().getPhase(), "the newer phase is kept");
    assertEquals("hello", stored.getStatus().getMessage());
  }

  @Test
  void aPatchThatNoLongerAppliesIsInvalidAndStoresNothing() {
    ConfigMap other = configMap("apps", "cfg", Map.of("k", "v2"));
    other.getMetadata().setResourceVersion(created.getMetadata().getResourceVersion());
    h.accept(h.update(other));
    h.drain();

    ConfigMap mine = configMap("apps", "cfg", Map.of("k", "v9"));
    mine.getMetadata().setResourceVersion(created.getMetadata().getResourceVersion());
    Reply r = h.send(h.patched(h.update(mine), "application/json-patch+json",
        "[{\"op\":\"test\",\"path\":\"/data/k\",\"value\":\"v1\"},"
            + "{\"op\":\"replace\",\"path\":\"/data/k\",\"value\":\"v9\"}]"));

    assertFalse(r.getAccepted());
    assertEquals(422, r.getStatus().getCode(), r.getStatus().toString());
    assertTrue(h.events().isEmpty());
  }

  @Test
  void anUpdateWithoutResourceVersionIsUnconditional() {
    Reply r = h.send(h.update(configMap("apps", "cfg", Map.of("k", "blind"))));
    assertTrue(r.getAccepted());
    assertEquals(Map.of("k", "blind"), ((ConfigMap) object(r)).getData());
    assertEquals(1, h.events().size());
  }

  @Test
  void aMismatchingUidIsAConflict() {
    ConfigMap other = configMap("apps", "cfg", Map.of("k", "v2"));
    other.getMetadata().setUid("another-object");
    Reply r = h.send(h.update(other));
    assertEquals(409, r.getStatus().getCode());
    assertTrue(r.getStatus().getMessage().contains("Precondition failed: UID in precondition: another-object"),
        r.getStatus().getMessage());
  }

  @Test
  void updatingAMissingObjectIsNotFound() {
    Reply r = h.send(h.update(configMap("apps", "ghost", Map.of())));
    assertEquals(404, r.getStatus().getCode());
    assertEquals("configmaps \"ghost\" not found", r.getStatus().getMessage());
  }

  @Test
  void generationMovesOnlyWhenMoreThanMetadataChanges() {
    ConfigMap labelled = configMap("apps", "cfg", Map.of("k", "v1"));
    labelled.getMetadata().setLabels(Map.of("tier", "web"));
    ConfigMap afterLabel = h.accept(h.update(labelled));
    assertEquals(1L, afterLabel.getMetadata().getGeneration(), "a label is metadata");

    ConfigMap changed = configMap("apps", "cfg", Map.of("k", "v2"));
    changed.getMetadata().setLabels(Map.of("tier", "web"));
    changed.getMetadata().setGeneration(99L);
    ConfigMap afterData = h.accept(h.update(changed));
    assertEquals(2L, afterData.getMetadata().getGeneration(), "data is content; a client cannot set generation");
  }

  @Test
  void aNoOpUpdateAnswersWithTheStoredObjectAndWritesNothing() {
    ConfigMap same = configMap("apps", "cfg", Map.of("k", "v1"));
    same.getMetadata().setResourceVersion(created.getMetadata().getResourceVersion());

    Reply r = h.send(h.update(same));

    assertTrue(r.getAccepted());
    assertEquals(Long.parseLong(created.getMetadata().getResourceVersion()), r.getResourceVersion(),
        "no new resourceVersion for a no-op");
    assertEquals(created, object(r));
    assertTrue(h.events().isEmpty(), "no event for a no-op");
    assertTrue(h.stateRecords(Kinds.CONFIG_MAP).isEmpty(), "no state record for a no-op");
  }

  @Test
  void systemFieldsSentWithAnUpdateAreIgnored() {
    ConfigMap sneaky = configMap("apps", "cfg", Map.of("k", "v2"));
    sneaky.getMetadata().setCreationTimestamp("1999-01-01T00:00:00Z");
    sneaky.getMetadata().setDeletionTimestamp("2030-01-01T00:00:00Z");
    ConfigMap stored = h.accept(h.update(sneaky));
    assertEquals(created.getMetadata().getCreationTimestamp(), stored.getMetadata().getCreationTimestamp());
    assertNull(stored.getMetadata().getDeletionTimestamp(), "only a delete sets deletionTimestamp");
  }

  @Test
  void anUpdateCannotChangeStatusAndAStatusUpdateChangesOnlyStatus() {
    Pod created = h.accept(h.create(pod("apps", "web")));
    h.drain();

    Pod withStatus = pod("apps", "web");
    withStatus.getSpec().setActiveDeadlineSeconds(600L); // one of the few spec fields a pod update may change
    withStatus.setStatus(PodStatus.newBuilder().setPhase("Running").build());
    Pod updated = h.accept(h.update(withStatus));
    assertEquals("Pending", updated.getStatus().getPhase(), "status is the status subresource's");
    assertEquals(600L, updated.getSpec().getActiveDeadlineSeconds());
    assertEquals(2L, updated.getMetadata().getGeneration());

    Pod statusOnly = pod("apps", "web");
    statusOnly.getSpec().setActiveDeadlineSeconds(60L);
    statusOnly.getMetadata().setLabels(Map.of("sneaky", "yes"));
    statusOnly.setStatus(PodStatus.newBuilder().setPhase("Running").setPodIP("10.1.0.7").build());
    Reply r = h.send(h.updateStatus(statusOnly));
    Pod afterStatus = object(r);
    assertEquals("Running", afterStatus.getStatus().getPhase());
    assertEquals("10.1.0.7", afterStatus.getStatus().getPodIP());
    assertEquals(600L, afterStatus.getSpec().getActiveDeadlineSeconds(), "spec stays as stored");
    assertNull(afterStatus.getMetadata().getLabels(), "metadata stays as stored");
    assertEquals(2L, afterStatus.getMetadata().getGeneration(), "status does not move generation");
    assertEquals(created.getMetadata().getUid(), afterStatus.getMetadata().getUid());
    List<Event> events = h.events();
    assertEquals(EventOp.STATUS_UPDATED, events.get(events.size() - 1).getOp());
  }

  @Test
  void aStatusUpdateIsConditionalOnResourceVersionToo() {
    Pod created = h.accept(h.create(pod("apps", "web")));
    Pod changed = pod("apps", "web");
    changed.getSpec().setActiveDeadlineSeconds(600L);
    h.accept(h.update(changed));
    Pod stale = pod("apps", "web");
    stale.getMetadata().setResourceVersion(created.getMetadata().getResourceVersion());
    stale.setStatus(PodStatus.newBuilder().setPhase("Running").build());
    Reply r = h.send(h.updateStatus(stale));
    assertEquals(409, r.getStatus().getCode());
  }

  @Test
  void aNoOpStatusUpdateWritesNothing() {
    Pod created = h.accept(h.create(pod("apps", "web")));
    h.drain();
    Reply r = h.send(h.updateStatus(created));
    assertTrue(r.getAccepted());
    assertEquals(Long.parseLong(created.getMetadata().getResourceVersion()), r.getResourceVersion());
    assertTrue(h.events().isEmpty());
  }

  @Test
  void kindsWithoutStatusHaveNoStatusUpdate() {
    Reply r = h.send(h.updateStatus(configMap("apps", "cfg", Map.of())));
    assertEquals(400, r.getStatus().getCode());
    assertTrue(r.getStatus().getMessage().contains("no status subresource"), r.getStatus().getMessage());
  }

  @Test
  void anUpdateIsValidated() {
    Pod p = h.accept(h.create(pod("apps", "web")));
    Pod broken = pod("apps", "web");
    broken.getSpec().setContainers(List.of());
    Reply r = h.send(h.update(broken));
    assertEquals(422, r.getStatus().getCode(), () -> String.valueOf(r.getStatus()));
    assertTrue(r.getStatus().getCauses().stream().anyMatch(c -> c.getField().startsWith("spec.containers")),
        r.getStatus().toString());
    assertEquals(p.getMetadata().getResourceVersion(),
        ((Pod) ProcessorHarness.CODEC.decode(h.objectStore().get("Pod/apps/web"))).getMetadata().getResourceVersion(),
        "a rejected update stores nothing");
  }

  @Test
  void anUpdateWithoutAnObjectIsABadRequest() {
    Reply r = h.send(h.command(CommandOp.UPDATE, Kinds.CONFIG_MAP, "apps", "cfg").build());
    assertEquals(400, r.getStatus().getCode());
  }

  /**
   * A large object written often: each write's remembered reply keeps a copy of the object once
   * the object changes, so without a byte budget one key's memory of its requests outgrew a Kafka
   * record and failed the transaction, stopping the partition.
   */
  @Test
  void aLargeObjectWrittenOftenKeepsItsRememberedRepliesWithinTheirBudget() {
    String big = "x".repeat(128 * 1024);
    ConfigMap current = created;
    for (int i = 0; i < 20; i++) {
      ConfigMap next = configMap("apps", "cfg", Map.of("k", "v" + i, "big", big));
      next.getMetadata().setResourceVersion(current.getMetadata().getResourceVersion());
      Command cmd = h.update(next);
      current = h.accept(cmd);
      byte[] remembered = h.driver.<String, byte[]>getKeyValueStore(CommandTopology.REQUESTS_STORE).get("ConfigMap/apps/cfg");
      assertTrue(remembered.length <= CommandApplier.REQUEST_MEMORY_BYTES_PER_KEY,
          "write " + i + ": " + remembered.length + " bytes of remembered replies");
      // The newest request is always remembered: its retry gets the original answer.
      Reply again = h.send(cmd);
      assertTrue(again.getAccepted());
      assertEquals(current.getMetadata().getResourceVersion(),
          ProcessorHarness.<ConfigMap>object(again).getMetadata().getResourceVersion());
    }
  }

  @Test
  void aWriteThatWouldStoreAnObjectOverTheLimitIsTooLargeAndStoresNothing() {
    h.drain();
    ConfigMap next = configMap("apps", "cfg", Map.of("k", "x".repeat(CommandApplier.MAX_OBJECT_BYTES)));
    next.getMetadata().setResourceVersion(created.getMetadata().getResourceVersion());
    Reply r = h.send(h.update(next));
    assertFalse(r.getAccepted());
    assertEquals(413, r.getStatus().getCode());
    assertEquals("RequestEntityTooLarge", r.getStatus().getReason());
    assertTrue(r.getStatus().getMessage().startsWith("configmaps \"cfg\" is too large: it would be "),
        r.getStatus().getMessage());
    assertTrue(h.events().isEmpty(), "no event");
    assertTrue(h.stateRecords(Kinds.CONFIG_MAP).isEmpty(), "no state record");
    ConfigMap stored = ProcessorHarness.CODEC.decode(h.objectStore().get("ConfigMap/apps/cfg"));
    assertEquals(created.getMetadata().getResourceVersion(), stored.getMetadata().getResourceVersion());
  }

  /**
   * Every sealing gives new ciphertext; an update that seals the same values again (a label
   * change) keeps the stored values: no change of data, no new generation, and the event names
   * only what changed. New values are stored as sent.
   */
  @Test
  void aSecretUpdatedWithTheSameValuesKeepsItsStoredCiphertext() {
    io.capstan.logschema.secrets.EncryptionConfig keys = io.capstan.logschema.secrets.EncryptionConfig.generate();
    io.capstan.api.Secret clear = io.capstan.api.Secret.newBuilder()
        .setMetadata(ProcessorHarness.meta("apps", "db").build())
        .setStringData(Map.of("password", "same", "user", "admin")).build();
    io.capstan.api.Secret created = h.accept(h.create(io.capstan.logschema.secrets.SecretSealing.seal(clear, keys)));
    h.drain();

    io.capstan.api.Secret relabelled = io.capstan.api.Secret.newBuilder(clear).build();
    relabelled.setMetadata(ProcessorHarness.meta("apps", "db").build());
    relabelled.getMetadata().setLabels(Map.of("tier", "db"));
    // the same values in another order: sealing sorts them
    relabelled.setStringData(new java.util.LinkedHashMap<>(Map.of("user", "admin")));
    relabelled.getStringData().put("password", "same");
    relabelled.getMetadata().setResourceVersion(created.getMetadata().getResourceVersion());
    io.capstan.api.Secret sealedAgain = io.capstan.logschema.secrets.SecretSealing.seal(relabelled, keys);
    assertFalse(sealedAgain.getData().equals(created.getData()), "a new sealing is new ciphertext");
    io.capstan.api.Secret stored = h.accept(h.update(sealedAgain));
    assertEquals(created.getData(), stored.getData(), "the stored ciphertext stays");
    assertEquals(created.getMetadata().getGeneration(), stored.getMetadata().getGeneration());
    List<Event> events = h.events();
    assertEquals(1, events.size());
    List<String> paths = events.get(0).getChangedPaths();
    assertTrue(paths.contains("metadata.labels") && paths.stream().noneMatch(p -> p.startsWith("data")),
        "the labels changed, the values did not: " + paths);

    io.capstan.api.Secret changed = io.capstan.api.Secret.newBuilder(relabelled).build();
    changed.setMetadata(ProcessorHarness.meta("apps", "db").build());
    changed.getMetadata().setLabels(Map.of("tier", "db"));
    changed.setStringData(Map.of("password", "new", "user", "admin"));
    changed.getMetadata().setResourceVersion(stored.getMetadata().getResourceVersion());
    io.capstan.api.Secret sealedNew = io.capstan.logschema.secrets.SecretSealing.seal(changed, keys);
    io.capstan.api.Secret storedNew = h.accept(h.update(sealedNew));
    assertEquals(sealedNew.getData(), storedNew.getData(), "new values are stored as sent");
    assertEquals("new", new String(io.capstan.logschema.secrets.SecretSealing.open(storedNew, keys).getData()
        .get("password").array(), java.nio.charset.StandardCharsets.UTF_8));
  }
}
