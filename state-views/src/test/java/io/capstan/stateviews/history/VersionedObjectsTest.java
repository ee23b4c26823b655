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
  void aTimelineCountsWritesPerBucketToATenthOfASecondAndKeepsTheMarkedKindsInTimeOrder() {
    // the same seven versions, version n at n × 100 ms + 50 ms
    VersionedObjects secrets = timed(java.util.Set.of("Secret", "Deployment"));
    // buckets of 200 ms from 0.1 s to 0.7 s: [0.1,0.3) [0.3,0.5) [0.5,0.7)
    VersionedObjects.Timeline t = secrets.timeline(100_000, 700_000, 3, 10);
    assertEquals(List.of(2L, 2L, 2L), java.util.Arrays.stream(t.writes()).boxed().toList(), "0.75 s is past the end");
    assertEquals(List.of("Secret/default/a"), t.marked().stream().map(ObjectVersion::key).toList());

    VersionedObjects.Timeline cms = timed(java.util.Set.of("ConfigMap")).timeline(0, 1_000_000, 1, 2);
    assertEquals(7, cms.writes()[0]);
    assertEquals(List.of(5L, 7L), cms.marked().stream().map(ObjectVersion::resourceVersion).toList(),
        "the newest two, oldest first");
    assertEquals(150_000, secrets.oldestMicros());
    assertEquals(0, new VersionedObjects().oldestMicros());
    assertThrows(IllegalArgumentException.class, () -> secrets.timeline(10, 10, 3, 1));
    assertEquals(0, secrets.timeline(800_000, 2_000_000, 4, 10).marked().size(), "nothing after the last write");
    assertEquals(0, java.util.Arrays.stream(secrets.timeline(800_000, 2_000_000, 4, 10).writes()).sum());
  }

  @Test
  void whatNoReadFromAPointOnCanSeeIsEachKeysVersionsBeforeTheOneInEffectAndADeleteInEffect() {
    // a: 1 C, 3 U, 5 D, 7 C; b: 2 C; c: 4 C; Secret a: 6 C; version n at 10n µs
    assertEquals(1, objects.unreadableBefore(4, 40), "a's create, under its update");
    assertEquals(List.of(3L, 5L, 7L, 2L, 4L, 6L), objects.readableFrom(4, 40).stream()
        .map(ObjectVersion::resourceVersion).toList());
    assertEquals(3, objects.unreadableBefore(6, 60), "a's create, update and the delete in effect at 6");
    assertEquals(List.of(7L, 2L, 4L, 6L), objects.readableFrom(6, 60).stream().map(ObjectVersion::resourceVersion)
        .toList());
    assertEquals(1, objects.unreadableBefore(6, 30), "by time a's update is in effect at 30 µs: the older point wins");
    assertEquals(0, objects.unreadableBefore(0, 0));
  }

  private static VersionedObjects timed(java.util.Set<String> marked) {
    VersionedObjects out = new VersionedObjects(marked);
    for (String key : List.of("ConfigMap/default/a", "ConfigMap/default/b", "ConfigMap/default/a", "ConfigMap/other/c",
        "ConfigMap/default/a", "Secret/default/a", "ConfigMap/default/a")) {
      long rv = out.versions() + 1;
      EventOp op = rv == 3 ? EventOp.UPDATED : rv == 5 ? EventOp.DELETED : EventOp.CREATED;
      out.add(new ObjectVersion(key, rv, rv * 100_000 + 50_000, op, "alice", "uid-" + key, new byte[] {(byte) rv}, 0,
          rv));
    }
    return out;
  }
}
