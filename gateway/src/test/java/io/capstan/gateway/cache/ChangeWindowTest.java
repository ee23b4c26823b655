package io.capstan.gateway.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ConfigMap;
import io.capstan.api.ObjectMeta;
import io.capstan.stateviews.informer.ChangeType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The window's bookkeeping: floors, coverage, undoing changes, merged replay. */
class ChangeWindowTest {
  private long seq;

  private static ConfigMap cm(String name, String v) {
    return ConfigMap.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("ns").setName(name).build())
        .setData(Map.of("v", v)).build();
  }

  private CachedChange change(ChangeType type, String name, String before, String after, long rv, int partition) {
    return new CachedChange(type, "ConfigMap/ns/" + name, after == null ? null : cm(name, after),
        before == null ? null : cm(name, before), rv, partition, ++seq);
  }

  @Test
  void coversFromTheHighestFloorAndEvictionRaisesIt() {
    ChangeWindow w = new ChangeWindow(2, 3, new long[] {10, 20});
    assertFalse(w.covers(15), "partition 1 was filled at 20: changes in (15, 20] there were never seen");
    assertTrue(w.covers(20));
    w.add(change(ChangeType.ADDED, "a", null, "1", 30, 0));
    w.add(change(ChangeType.ADDED, "b", null, "1", 31, 1));
    w.add(change(ChangeType.MODIFIED, "a", "1", "2", 40, 0));
    assertTrue(w.covers(20));
    w.add(change(ChangeType.MODIFIED, "b", "1", "2", 41, 1)); // evicts a@30, the oldest applied
    assertEquals(3, w.size());
    assertFalse(w.covers(29), "a@30 is gone");
    assertTrue(w.covers(30));
    assertEquals(30, w.oldestCovered());
  }

  @Test
  void stateBeforeUndoesEveryLaterChangeWithTheEarliestPrevious() {
    ChangeWindow w = new ChangeWindow(2, 100, new long[] {0, 0});
    w.add(change(ChangeType.ADDED, "a", null, "1", 10, 0));
    w.add(change(ChangeType.MODIFIED, "a", "1", "2", 20, 0));
    w.add(change(ChangeType.ADDED, "b", null, "1", 15, 1));
    w.add(change(ChangeType.DELETED, "b", "1", "1", 25, 1));
    w.add(change(ChangeType.MODIFIED, "a", "2", "3", 30, 0));

    Map<String, org.apache.avro.generic.IndexedRecord> at12 = w.stateBefore(12);
    assertEquals("1", ((ConfigMap) at12.get("ConfigMap/ns/a")).getData().get("v"), "a as it was at 12");
    assertTrue(at12.containsKey("ConfigMap/ns/b"));
    assertNull(at12.get("ConfigMap/ns/b"), "b did not exist at 12");

    Map<String, org.apache.avro.generic.IndexedRecord> at22 = w.stateBefore(22);
    assertEquals("2", ((ConfigMap) at22.get("ConfigMap/ns/a")).getData().get("v"));
    assertEquals("1", ((ConfigMap) at22.get("ConfigMap/ns/b")).getData().get("v"), "b existed until 25");
    assertTrue(w.stateBefore(30).isEmpty());
  }

  @Test
  void afterMergesPartitionsByResourceVersion() {
    ChangeWindow w = new ChangeWindow(3, 100, new long[] {0, 0, 0});
    w.add(change(ChangeType.ADDED, "a", null, "1", 10, 0));
    w.add(change(ChangeType.ADDED, "c", null, "1", 12, 2));
    w.add(change(ChangeType.ADDED, "b", null, "1", 11, 1));
    w.add(change(ChangeType.MODIFIED, "a", "1", "2", 14, 0));
    w.add(change(ChangeType.MODIFIED, "b", "1", "2", 13, 1));
    List<Long> rvs = w.after(10).stream().map(CachedChange::resourceVersion).toList();
    assertEquals(List.of(11L, 12L, 13L, 14L), rvs);
    assertTrue(w.after(14).isEmpty());
    assertEquals(13, w.find(1, "ConfigMap/ns/b", 13).orElseThrow().resourceVersion());
    assertTrue(w.find(1, "ConfigMap/ns/a", 13).isEmpty());
  }

  @Test
  void betweenStopsAtTheCutAndKeepsEqualVersionsTogetherInPartitionOrder() {
    ChangeWindow w = new ChangeWindow(3, 100, new long[] {0, 0, 0});
    w.add(change(ChangeType.ADDED, "a", null, "1", 10, 0));
    w.add(change(ChangeType.ADDED, "c", null, "1", 12, 2));
    w.add(change(ChangeType.ADDED, "b", null, "1", 12, 1));
    w.add(change(ChangeType.MODIFIED, "a", "1", "2", 14, 0));
    w.add(change(ChangeType.MODIFIED, "c", "1", "2", 20, 2));
    assertEquals(List.of("b@12", "c@12", "a@14"), w.between(10, 14).stream()
        .map(c -> c.key().substring("ConfigMap/ns/".length()) + "@" + c.resourceVersion()).toList());
    assertEquals(List.of(20L), w.between(14, 25).stream().map(CachedChange::resourceVersion).toList());
    assertTrue(w.between(14, 19).isEmpty(), "nothing in (14, 19]");
  }

  @Test
  void addSaysTheNewestVersionItEvicted() {
    ChangeWindow w = new ChangeWindow(2, 2, new long[] {0, 0});
    assertEquals(0, w.add(change(ChangeType.ADDED, "a", null, "1", 10, 0)));
    assertEquals(0, w.add(change(ChangeType.ADDED, "b", null, "1", 30, 1)));
    assertEquals(10, w.add(change(ChangeType.ADDED, "c", null, "1", 20, 0)), "a@10, the oldest applied, went");
    assertEquals(30, w.add(change(ChangeType.ADDED, "d", null, "1", 40, 0)), "then b@30");
  }

  @Test
  void refusesNonsense() {
    assertThrows(IllegalArgumentException.class, () -> new ChangeWindow(2, 0, new long[] {0, 0}));
    assertThrows(IllegalArgumentException.class, () -> new ChangeWindow(2, 10, new long[] {0}));
  }
}
