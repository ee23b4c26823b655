package io.capstan.stateviews.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.log.EventOp;
import java.util.List;
import org.junit.jupiter.api.Test;

class VersionedObjectsTest {
  private static ObjectVersion v(String key, long rv, EventOp op) {
    return new ObjectVersion(key, rv, rv * 10, op, "alice", "uid-" + key, new byte[] {(byte) rv}, 0, rv);
  }

  private final VersionedObjects objects = new VersionedObjects();

  VersionedObjectsTest() {
    objects.add(v("ConfigMap/default/a", 1, EventOp.CREATED));
    objects.add(v("ConfigMap/default/b", 2, EventOp.CREATED));
    objects.add(v("ConfigMap/default/a", 3, EventOp.UPDATED));
    objects.add(v("ConfigMap/other/c", 4, EventOp.CREATED));
    objects.add(v("ConfigMap/default/a", 5, EventOp.DELETED));
    objects.add(v("Secret/default/a", 6, EventOp.CREATED));
    objects.add(v("ConfigMap/default/a", 7, EventOp.CREATED)); // made again with the same name
  }

  @Test
  void anObjectAtEachPointIsTheNewestVersionCoveredUnlessDeleted() {
    String a = "ConfigMap/default/a";
    assertTrue(objects.at(a, new AsOf.Version(0)).isEmpty(), "not made yet");
    assertEquals(1, objects.at(a, new AsOf.Version(2)).orElseThrow().resourceVersion());
    assertEquals(3, objects.at(a, new AsOf.Version(4)).orElseThrow().resourceVersion());
    assertTrue(objects.at(a, new AsOf.Version(5)).isEmpty(), "deleted at 5");
    assertTrue(objects.at(a, new AsOf.Version(6)).isEmpty(), "still deleted at 6");
    assertEquals(7, objects.at(a, new AsOf.Version(7)).orElseThrow().resourceVersion(), "made again");
    // by time: version n was applied at 10n µs
    assertEquals(3, objects.at(a, new AsOf.Time(49)).orElseThrow().resourceVersion());
    assertTrue(objects.at(a, new AsOf.Time(50)).isEmpty());
    assertTrue(objects.at("ConfigMap/default/never", new AsOf.Time(1000)).isEmpty(), "never existed");
  }

  @Test
  void aListAtAPointHoldsTheObjectsOfItsPrefixThenInKeyOrder() {
    VersionedObjects.Cut cut = objects.at(new AsOf.Version(4), "ConfigMap/default/");
    assertEquals(List.of("ConfigMap/default/a", "ConfigMap/default/b"), cut.objects().stream().map(ObjectVersion::key)
        .toList());
    assertEquals(List.of(3L, 2L), cut.objects().stream().map(ObjectVersion::resourceVersion).toList());
    assertEquals(3, cut.resourceVersion(), "the newest version covered in the namespace");

    VersionedObjects.Cut later = objects.at(new AsOf.Version(6), "ConfigMap/");
    assertEquals(List.of("ConfigMap/default/b", "ConfigMap/other/c"), later.objects().stream().map(ObjectVersion::key)
        .toList(), "a deleted, every namespace, no Secret");
    assertEquals(5, later.resourceVersion(), "the delete is the newest change covered");
    assertTrue(objects.at(new AsOf.Version(0), "ConfigMap/").objects().isEmpty());
  }

  @Test
  void historyKeepsEveryVersionAcrossDeletesAndCountsTheirBytes() {
    assertEquals(List.of(1L, 3L, 5L, 7L), objects.versions("ConfigMap/default/a").stream()
        .map(ObjectVersion::resourceVersion).toList());
    assertEquals(7, objects.versions());
    assertEquals(4, objects.keys());
    assertEquals(7, objects.bytes());
    assertEquals(7, objects.newestResourceVersion());
  }
  @Test
  void aTimelineCountsWritesPerBucketAndKeepsTheMarkedKindsInTimeOrder() {
    // versions 1..7 at 10..70 µs; buckets of 20 µs from 10 to 70: [10,30) [30,50) [50,70)
    VersionedObjects.Timeline t = objects.timeline(10, 70, 3, java.util.Set.of("Secret", "Deployment"), 10);
    assertEquals(List.of(2L, 2L, 2L), java.util.Arrays.stream(t.writes()).boxed().toList(), "70 µs is past the end");
    assertEquals(List.of("Secret/default/a"), t.marked().stream().map(ObjectVersion::key).toList());

    VersionedObjects.Timeline cms = objects.timeline(0, 1000, 1, java.util.Set.of("ConfigMap"), 2);
    assertEquals(7, cms.writes()[0]);
    assertEquals(List.of(5L, 7L), cms.marked().stream().map(ObjectVersion::resourceVersion).toList(),
        "the newest two, oldest first");
    assertEquals(10, objects.oldestMicros());
    assertEquals(0, new VersionedObjects().oldestMicros());
    assertThrows(IllegalArgumentException.class, () -> objects.timeline(10, 10, 3, java.util.Set.of(), 1));
  }
}
