package io.capstan.stateviews.processor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.processor.rules.ObjectFields;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The small parts: the clock's persisted form, the request-id list, uids, timestamps, config. */
class ProcessorPartsTest {

  @Test
  void theClockSurvivesItsEncodingAndNeverGoesBack() {
    HybridClock c = new HybridClock(0, 0);
    assertEquals(1_000, c.next(1_000));
    assertEquals(1_001, c.next(1_000));
    assertEquals(1_002, c.next(5));
    assertEquals(5_000, c.watermark(5_001));
    HybridClock restored = HybridClock.decode(c.encode());
    assertEquals(5_001, restored.next(10), "above the watermark promised before the restart");
    assertEquals(new HybridClock(0, 0).lastRv(), HybridClock.decode(null).lastRv());
    assertThrows(IllegalStateException.class, () -> HybridClock.decode(new byte[] {9, 9}));
  }

  @Test
  void recentRequestsKeepTheNewestAndRoundTrip() {
    RecentRequests r = RecentRequests.empty();
    for (int i = 0; i < 5; i++) {
      r.remember("req-" + i, 100 + i, new byte[] {(byte) i}, i == 4 ? 77 : RecentRequests.COMPLETE, 3);
    }
    assertEquals(3, r.size());
    assertNull(r.find("req-1"), "forgotten beyond the limit");
    byte[] encoded = r.encode();
    RecentRequests back = RecentRequests.decode(encoded);
    assertArrayEquals(new byte[] {4}, back.find("req-4").reply());
    assertEquals(77, back.find("req-4").storedObjectRv());
    assertArrayEquals(new byte[] {2}, back.find("req-2").reply());
    assertEquals(RecentRequests.COMPLETE, back.find("req-2").storedObjectRv());
    assertEquals(104, back.newestMicros());
    assertEquals(104, RecentRequests.newestMicros(encoded));
    back.materialize(stripped -> new byte[] {stripped[0], 42});
    assertArrayEquals(new byte[] {4, 42}, back.find("req-4").reply());
    assertEquals(RecentRequests.COMPLETE, back.find("req-4").storedObjectRv());
    assertArrayEquals(new byte[] {2}, back.find("req-2").reply(), "complete replies stay as they are");
    assertThrows(IllegalStateException.class, () -> RecentRequests.decode(new byte[] {1, 0, 0, 0, 0}));
  }

  @Test
  void aPendingCreateIsRememberedUntilItsAnswerTakesItsPlace() {
    RecentRequests r = RecentRequests.empty();
    r.pending("create-1", 100, 3);
    r.pending("create-1", 101, 3);
    assertEquals(1, r.size(), "pending once");
    assertNull(r.answered("create-1"), "pending is not answered");
    RecentRequests back = RecentRequests.decode(r.encode());
    assertEquals(RecentRequests.PENDING, back.find("create-1").storedObjectRv());
    back.materialize(stripped -> {
      throw new AssertionError("a pending entry has no reply to give an object");
    });
    back.remember("create-1", 102, new byte[] {9}, RecentRequests.COMPLETE, 3);
    assertEquals(1, back.size(), "the answer takes the pending entry's place");
    assertArrayEquals(new byte[] {9}, back.answered("create-1").reply());
  }

  @Test
  void uidsAreVersion4UuidsAndUnique() {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 10_000; i++) {
      String uid = ObjectFields.randomUid();
      UUID u = UUID.fromString(uid);
      assertEquals(4, u.version());
      assertEquals(2, u.variant());
      assertTrue(seen.add(uid));
    }
  }

  @Test
  void timestampsAreRfc3339SecondsInUtc() {
    assertEquals("2026-11-27T10:00:00Z", ObjectFields.timestamp(Instant.parse("2026-11-27T10:00:00.999Z")));
    assertEquals("2026-11-27T10:00:01Z", ObjectFields.timestamp(Instant.parse("2026-11-27T10:00:01.001Z")));
    assertEquals("2026-11-27T10:00:00Z", ObjectFields.timestamp(Instant.parse("2026-11-27T10:00:00Z")));
  }

  @Test
  void configDefaultsAndBadValuesAreNamed() {
    ProcessorConfig cfg = ProcessorConfig.defaults(Map.of("bootstrap.servers", "k:9092"), new TopicLayout("x."), Path.of("s"));
    assertEquals("x.processor", cfg.applicationId());
    assertEquals(1, cfg.streamThreads());
    assertEquals(50, cfg.commitIntervalMs());
    assertEquals(200, cfg.watermarkIntervalMs());
    assertEquals(false, cfg.inMemoryStores());
    assertEquals(16, cfg.requestIdsPerKey());
    var e = assertThrows(IllegalArgumentException.class, () -> cfg.withStreamThreads(0));
    assertTrue(e.getMessage().contains("streamThreads"), e.getMessage());
    var noBootstrap = assertThrows(IllegalArgumentException.class,
        () -> ProcessorConfig.defaults(Map.of(), new TopicLayout("x."), Path.of("s")));
    assertTrue(noBootstrap.getMessage().contains("bootstrap.servers"));
    var props = CommandProcessor.streamsProperties(cfg.withCommitIntervalMs(50));
    assertEquals("exactly_once_v2", props.get("processing.guarantee"));
    assertEquals(50L, props.get("commit.interval.ms"));
    assertEquals("k:9092", props.get("bootstrap.servers"));
  }
}
