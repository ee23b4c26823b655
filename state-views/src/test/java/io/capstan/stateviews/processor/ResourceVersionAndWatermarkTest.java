package io.capstan.stateviews.processor;

import static io.capstan.stateviews.processor.ProcessorHarness.configMap;
import static io.capstan.stateviews.processor.ProcessorHarness.header;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.log.Reply;
import io.capstan.log.Watermark;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.topics.ObjectPartitioner;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ResourceVersionAndWatermarkTest {
  private final ProcessorHarness h = new ProcessorHarness();

  @AfterEach
  void close() {
    h.close();
  }

  @Test
  void resourceVersionsFollowTheClockAndNeverGoBack() {
    h.withNamespace("apps");
    long t0 = CommandApplier.micros(h.clock.instant());
    Reply a = h.send(h.create(configMap("apps", "a", Map.of())));
    assertTrue(a.getResourceVersion() >= t0, "rv is at least the wall clock in microseconds");
    // Same instant: the logical part moves it on.
    Reply b = h.send(h.create(configMap("apps", "b", Map.of())));
    assertEquals(a.getResourceVersion() + 1, b.getResourceVersion());
    // The wall clock steps back an hour: rvs still grow.
    h.clock.advance(Duration.ofHours(-1));
    Reply c = h.send(h.create(configMap("apps", "c", Map.of())));
    assertEquals(b.getResourceVersion() + 1, c.getResourceVersion());
    // Rejections spend none; they name the version of the object they were checked against.
    Reply rejected = h.send(h.create(configMap("apps", "c", Map.of())));
    assertEquals(c.getResourceVersion(), rejected.getResourceVersion());
    Reply d = h.send(h.create(configMap("apps", "d", Map.of())));
    assertEquals(c.getResourceVersion() + 1, d.getResourceVersion());
    // The clock moves forward past them: rv jumps with it.
    h.clock.advance(Duration.ofHours(2));
    Reply e = h.send(h.create(configMap("apps", "e", Map.of())));
    assertEquals(CommandApplier.micros(h.clock.instant()), e.getResourceVersion());
  }

  @Test
  void watermarksGoToTheStateTopicsOfTheTasksPartitionAndLaterWritesExceedThem() {
    h.withNamespace("apps");
    Reply before = h.send(h.create(configMap("apps", "a", Map.of())));
    h.drain();
    h.clock.advance(Duration.ofMillis(3));

    // The first tick skips the kinds just written (their records close the partition)...
    h.driver.advanceWallClockTime(Duration.ofMillis(ProcessorConfig.DEFAULT_WATERMARK_INTERVAL_MS));
    long firstW = Math.max(before.getResourceVersion(), CommandApplier.micros(h.clock.instant()) - 1);
    for (Kind k : Kinds.all()) {
      boolean written = k.equals(Kinds.CONFIG_MAP) || k.equals(Kinds.NAMESPACE);
      assertEquals(written ? 0 : 1, h.stateRecords(k).size(), "watermarks on " + k.kind() + " after the first tick");
    }
    h.drain();

    // ...and the next, quiet one reaches every state topic.
    h.clock.advance(Duration.ofMillis(3));
    h.driver.advanceWallClockTime(Duration.ofMillis(ProcessorConfig.DEFAULT_WATERMARK_INTERVAL_MS));
    long expectedW = CommandApplier.micros(h.clock.instant()) - 1;
    assertTrue(expectedW > firstW);
    for (Kind k : Kinds.all()) {
      List<TestRecord<String, byte[]>> records = h.stateRecords(k);
      assertEquals(1, records.size(), "one watermark on " + k.kind());
      TestRecord<String, byte[]> r = records.get(0);
      assertEquals(ObjectPartitioner.watermarkKey(0), r.key());
      Watermark w = ProcessorHarness.CODEC.decode(r.value(), Watermark.class);
      assertEquals(0, w.getPartition());
      assertEquals(expectedW, w.getResourceVersion());
      assertEquals(CommandApplier.micros(h.clock.instant()), w.getTimeMicros());
      assertEquals(Long.toString(expectedW), header(r, CommandApplier.RV_HEADER));
    }
    assertTrue(h.events.isEmpty(), "watermarks are not events");

    // The clock goes back: the next write still lands above the promise.
    h.clock.advance(Duration.ofSeconds(-10));
    Reply after = h.send(h.create(configMap("apps", "b", Map.of())));
    assertEquals(expectedW + 1, after.getResourceVersion());

    // And watermarks never go back either.
    h.drain();
    h.driver.advanceWallClockTime(Duration.ofMillis(ProcessorConfig.DEFAULT_WATERMARK_INTERVAL_MS));
    Watermark next = ProcessorHarness.CODEC.decode(h.stateRecords(Kinds.POD).get(0).value(), Watermark.class);
    assertEquals(after.getResourceVersion(), next.getResourceVersion());
  }

  @Test
  void aQuietPartitionSendsNothingUntilAReaderAsksThenPromisesWhatWasAsked() {
    h.withNamespace("apps");
    h.send(h.create(configMap("apps", "a", Map.of())));
    // The ticks after the write close every kind once...
    for (int i = 0; i < 2; i++) {
      h.clock.advance(Duration.ofMillis(3));
      h.driver.advanceWallClockTime(Duration.ofMillis(ProcessorConfig.DEFAULT_WATERMARK_INTERVAL_MS));
    }
    h.drain();
    // ...then a quiet partition is silent: no record, so no transaction and no reader woken.
    for (int i = 0; i < 10; i++) {
      h.clock.advance(Duration.ofMillis(200));
      h.driver.advanceWallClockTime(Duration.ofMillis(ProcessorConfig.DEFAULT_WATERMARK_INTERVAL_MS));
    }
    for (Kind k : Kinds.all()) {
      assertEquals(0, h.stateRecords(k).size(), "records on " + k.kind() + " of a quiet partition");
    }
    // A reader waits for a version another partition assigned a moment ago.
    h.clock.advance(Duration.ofMillis(50));
    long wanted = CommandApplier.micros(h.clock.instant()) - 1_000;
    h.commands.pipeInput(ObjectPartitioner.watermarkKey(0),
        ProcessorHarness.CODEC.encode(new Watermark(0, wanted, CommandApplier.micros(h.clock.instant()))),
        h.clock.instant());
    long promised = 0;
    for (Kind k : Kinds.all()) {
      List<TestRecord<String, byte[]>> records = h.stateRecords(k);
      assertEquals(1, records.size(), "the answer on " + k.kind());
      Watermark w = ProcessorHarness.CODEC.decode(records.get(0).value(), Watermark.class);
      assertTrue(w.getResourceVersion() >= wanted, w + " promises less than " + wanted);
      promised = w.getResourceVersion();
    }
    assertTrue(h.replies.isEmpty() && h.events.isEmpty(), "a request for progress is answered on the state topics only");
    // The promise holds: the next write lands above it.
    Reply after = h.send(h.create(configMap("apps", "b", Map.of())));
    assertTrue(after.getResourceVersion() > promised);
    // A version from the future is not promised: this partition's versions stay with its clock.
    h.drain();
    long future = CommandApplier.micros(h.clock.instant()) + 3_600_000_000L;
    h.commands.pipeInput(ObjectPartitioner.watermarkKey(0),
        ProcessorHarness.CODEC.encode(new Watermark(0, future, 0L)), h.clock.instant());
    Watermark answer = ProcessorHarness.CODEC.decode(h.stateRecords(Kinds.POD).get(0).value(), Watermark.class);
    assertTrue(answer.getResourceVersion() < future, "promised " + answer + " for a version an hour ahead");
    assertTrue(h.send(h.create(configMap("apps", "c", Map.of()))).getResourceVersion() < future);
    // A request addressed to another partition is skipped, not answered.
    h.drain();
    h.commands.pipeInput(ObjectPartitioner.watermarkKey(0),
        ProcessorHarness.CODEC.encode(new Watermark(3, wanted, 0L)), h.clock.instant());
    for (Kind k : Kinds.all()) {
      assertEquals(0, h.stateRecords(k).size(), "an answer on " + k.kind() + " to a misaddressed request");
    }
  }

  @Test
  void theWatermarkPartitionerSendsWatermarkKeysToTheirPartition() {
    ObjectKeyPartitioner p = new ObjectKeyPartitioner();
    for (int part = 0; part < 6; part++) {
      assertEquals(java.util.Optional.of(java.util.Set.of(part)),
          p.partitions("t", ObjectPartitioner.watermarkKey(part), new byte[0], 6));
    }
    String key = "ConfigMap/apps/a";
    assertEquals(java.util.Optional.of(java.util.Set.of(ObjectPartitioner.partition(key, 6))),
        p.partitions("t", key, new byte[0], 6));
  }

  @Test
  void theLatestWatermarkIsAGaugePerPartition() {
    h.driver.advanceWallClockTime(Duration.ofMillis(ProcessorConfig.DEFAULT_WATERMARK_INTERVAL_MS));
    String scrape = h.registry.scrape();
    assertTrue(scrape.contains("capstan_processor_watermark_lag_seconds{partition=\"0\"}"), scrape);
  }
}
