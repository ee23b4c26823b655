package io.capstan.stateviews.processor;

import static io.capstan.stateviews.processor.ProcessorHarness.configMap;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.log.Command;
import io.capstan.log.CommandOp;
import io.capstan.log.Reply;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.kinds.Kinds;
import java.nio.ByteBuffer;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DuplicatesAndBadRecordsTest {
  private final ProcessorHarness h = new ProcessorHarness();

  @BeforeEach
  void setUp() {
    h.withNamespace("apps");
  }

  @AfterEach
  void close() {
    h.close();
  }

  @Test
  void aRetriedRequestGetsTheOriginalReplyAndNothingElse() {
    Command create = h.create(configMap("apps", "once", Map.of("v", "1")));
    h.pipe("ConfigMap/apps/once", LogCodec.get().encode(create));
    byte[] original = h.replies.readValue();
    assertEquals(1, h.events().size());
    h.drain();

    // A later change, then the client's retry of the create arrives.
    h.accept(h.update(configMap("apps", "once", Map.of("v", "2"))));
    h.drain();
    h.pipe("ConfigMap/apps/once", LogCodec.get().encode(create));

    byte[] again = h.replies.readValue();
    assertArrayEquals(original, again, "the very same reply");
    assertTrue(h.replies.isEmpty());
    assertTrue(h.events().isEmpty(), "no second write");
    assertTrue(h.stateRecords(Kinds.CONFIG_MAP).isEmpty());
    assertTrue(h.registry.scrape().contains("result=\"duplicate\""));
  }

  @Test
  void aRetryRightAfterTheWriteAndAfterTheObjectIsGoneGetsTheSameBytes() {
    Command create = h.create(configMap("apps", "twice", Map.of("v", "1")));
    h.pipe("ConfigMap/apps/twice", LogCodec.get().encode(create));
    byte[] original = h.replies.readValue();
    h.drain();
    // Remembered without the object bytes (they are the stored object's): still the same reply.
    h.pipe("ConfigMap/apps/twice", LogCodec.get().encode(create));
    assertArrayEquals(original, h.replies.readValue());
    // The object goes away; the retry of the create still gets its first answer.
    h.accept(h.delete(Kinds.CONFIG_MAP, "apps", "twice"));
    h.drain();
    h.pipe("ConfigMap/apps/twice", LogCodec.get().encode(create));
    assertArrayEquals(original, h.replies.readValue());
    assertTrue(h.events().isEmpty());
    // And a retried no-op update answers with the object as it was then.
    h.accept(h.create(configMap("apps", "twice", Map.of("v", "2"))));
    Command noop = h.update(configMap("apps", "twice", Map.of("v", "2")));
    h.pipe("ConfigMap/apps/twice", LogCodec.get().encode(noop));
    byte[] noopReply = h.replies.readValue();
    h.accept(h.update(configMap("apps", "twice", Map.of("v", "3"))));
    h.drain();
    h.pipe("ConfigMap/apps/twice", LogCodec.get().encode(noop));
    assertArrayEquals(noopReply, h.replies.readValue());
  }

  @Test
  void aRetriedRejectionIsTheSameRejection() {
    Command update = h.update(configMap("apps", "missing", Map.of()));
    Reply first = h.send(update);
    assertEquals(404, first.getStatus().getCode());
    h.accept(h.create(configMap("apps", "missing", Map.of())));
    h.drain();
    Reply retried = h.send(update);
    assertEquals(first, retried, "the original answer, even though the object exists now");
    assertTrue(h.events().isEmpty());
  }

  @Test
  void onlyTheLastRequestIdsPerKeyAreRemembered() {
    Command first = h.update(configMap("apps", "x", Map.of("first", "1")));
    h.send(first);
    for (int i = 0; i < ProcessorConfig.DEFAULT_REQUEST_IDS_PER_KEY; i++) {
      h.send(h.update(configMap("apps", "x", Map.of("i", Integer.toString(i)))));
    }
    h.accept(h.create(configMap("apps", "x", Map.of())));
    h.drain();
    // The first request id fell out of the window: it is handled as a new command.
    Reply r = h.send(first);
    assertTrue(r.getAccepted(), "applied this time, since the object exists now");
    assertEquals(1, h.events().size());
  }

  @Test
  void malformedRecordsAreSkippedCountedAndDoNotStopProcessing() {
    h.pipe("ConfigMap/apps/x", new byte[] {1, 2, 3});
    h.pipe("ConfigMap/apps/x", new byte[] {(byte) 0xC3, 0x01, 9, 9, 9, 9, 9, 9, 9, 9, 0});
    h.pipe("ConfigMap/apps/x", null);
    // A valid envelope of the wrong type: a Reply on the commands topic.
    h.pipe("ConfigMap/apps/x", LogCodec.get().encode(Reply.newBuilder()
        .setRequestId("r").setClientId("c").setAccepted(true).build()));
    assertTrue(h.replies.isEmpty());
    assertTrue(h.events.isEmpty());

    assertTrue(h.send(h.create(configMap("apps", "after", Map.of()))).getAccepted(), "the next command is processed");

    String scrape = h.registry.scrape();
    assertTrue(scrape.contains("capstan_processor_records_skipped_total{reason=\"malformed\"} 2.0"), scrape);
    assertTrue(scrape.contains("capstan_processor_records_skipped_total{reason=\"empty\"} 1.0"), scrape);
    assertTrue(scrape.contains("capstan_processor_records_skipped_total{reason=\"not-a-command\"} 1.0"), scrape);
  }

  @Test
  void anUnknownKindIsSkippedAndTheClientToldWhy() {
    Command cmd = h.command(CommandOp.CREATE, Kinds.CONFIG_MAP, "apps", "x").setKind("Gizmo").build();
    h.pipe("Gizmo/apps/x", LogCodec.get().encode(cmd));
    Reply r = LogCodec.get().decode(h.replies.readValue(), Reply.class);
    assertEquals(400, r.getStatus().getCode());
    assertTrue(r.getStatus().getMessage().startsWith("unknown kind \"Gizmo\""));
    assertTrue(h.events.isEmpty());
    assertTrue(h.registry.scrape().contains("capstan_processor_records_skipped_total{reason=\"unknown-kind\"} 1.0"));
  }

  @Test
  void aCommandKeyedByAnotherObjectIsRefused() {
    Command cmd = h.create(configMap("apps", "x", Map.of()));
    h.pipe("ConfigMap/apps/y", LogCodec.get().encode(cmd));
    Reply r = LogCodec.get().decode(h.replies.readValue(), Reply.class);
    assertEquals(400, r.getStatus().getCode());
    assertTrue(r.getStatus().getMessage().contains("keyed \"ConfigMap/apps/y\""), r.getStatus().getMessage());
    assertTrue(h.events.isEmpty());
  }

  @Test
  void commandsAreCountedByKindOpAndResultAndTimed() {
    h.send(h.create(configMap("apps", "a", Map.of())));
    h.send(h.create(configMap("apps", "a", Map.of())));
    Command old = h.create(configMap("apps", "b", Map.of()));
    old.setSentAtMicros(CommandApplier.micros(h.clock.instant()) - 2_000_000);
    h.send(old);
    String scrape = h.registry.scrape();
    assertTrue(scrape.contains("capstan_processor_commands_total{kind=\"ConfigMap\",op=\"CREATE\",result=\"accepted\"} 2.0"), scrape);
    assertTrue(scrape.contains("capstan_processor_commands_total{kind=\"ConfigMap\",op=\"CREATE\",result=\"AlreadyExists\"} 1.0"), scrape);
    assertTrue(scrape.contains("capstan_processor_command_seconds_count 4"), scrape);
    assertTrue(scrape.contains("capstan_processor_command_age_seconds_max 2.0"), scrape);
    assertTrue(scrape.contains("capstan_processor_command_seconds_bucket"), "a histogram");
  }

  @Test
  void aCommandWithAnUndecodableObjectIsABadRequestAndRemembered() {
    Command cmd = h.command(CommandOp.CREATE, Kinds.CONFIG_MAP, "apps", "x")
        .setObject(ByteBuffer.wrap(new byte[] {(byte) 0xC3, 0x01, 1, 1, 1, 1, 1, 1, 1, 1})).build();
    Reply r = h.send(cmd);
    assertFalse(r.getAccepted());
    assertEquals(400, r.getStatus().getCode());
    assertEquals(r, h.send(cmd));
  }

  @Test
  void anObjectThatCannotBeReadIsAnInternalErrorNotAStoppedPartition() {
    h.objectStore().put("ConfigMap/apps/broken", new byte[] {1, 2, 3});
    Reply r = h.send(h.update(configMap("apps", "broken", Map.of())));
    assertEquals(500, r.getStatus().getCode());
    assertEquals("InternalError", r.getStatus().getReason());
    assertTrue(h.events.isEmpty());
    assertTrue(h.send(h.create(configMap("apps", "fine", Map.of()))).getAccepted(), "the partition goes on");
  }
}
