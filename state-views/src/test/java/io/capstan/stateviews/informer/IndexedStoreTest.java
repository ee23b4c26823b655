package io.capstan.stateviews.informer;

import static io.capstan.stateviews.informer.TestObjects.configMap;
import static io.capstan.stateviews.informer.TestObjects.key;
import static io.capstan.stateviews.informer.TestObjects.pod;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ConfigMap;
import io.capstan.api.Pod;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class IndexedStoreTest {

  private static IndexedStore<ConfigMap> configMaps() {
    IndexedStore<ConfigMap> s = new IndexedStore<>();
    s.addIndex(Indexes.NAMESPACE, Indexes.namespace());
    s.addIndex(Indexes.LABEL, Indexes.labels());
    s.addIndex(Indexes.OWNER_UID, Indexes.ownerUids());
    return s;
  }

  private static List<String> names(List<? extends ConfigMap> l) {
    return l.stream().map(c -> c.getMetadata().getName()).toList();
  }

  @Test
  void listsAreOrderedByKey() {
    IndexedStore<ConfigMap> s = configMaps();
    for (String n : List.of("c", "a", "b")) {
      ConfigMap cm = configMap("ns", n, "1");
      s.put(key(cm), cm);
    }
    assertEquals(List.of("a", "b", "c"), names(s.list()));
    assertEquals(List.of("ConfigMap/ns/a", "ConfigMap/ns/b", "ConfigMap/ns/c"), s.keys());
  }

  @Test
  void namespaceIndexFollowsPutsAndRemoves() {
    IndexedStore<ConfigMap> s = configMaps();
    ConfigMap a = configMap("team-a", "x", "1");
    ConfigMap b = configMap("team-b", "x", "1");
    ConfigMap a2 = configMap("team-a", "y", "1");
    s.put(key(a), a);
    s.put(key(b), b);
    s.put(key(a2), a2);
    assertEquals(List.of("x", "y"), names(s.byIndex(Indexes.NAMESPACE, "team-a")));
    assertEquals(Set.of("team-a", "team-b"), s.indexValues(Indexes.NAMESPACE));

    assertSame(a, s.remove(key(a)));
    assertEquals(List.of("y"), names(s.byIndex(Indexes.NAMESPACE, "team-a")));
    s.remove(key(b));
    assertEquals(Set.of("team-a"), s.indexValues(Indexes.NAMESPACE), "empty index values disappear");
    assertNull(s.remove("ConfigMap/none/none"));
  }

  @Test
  void anUpdateMovesTheObjectBetweenIndexValues() {
    IndexedStore<ConfigMap> s = configMaps();
    ConfigMap web = configMap("ns", "c", Map.of("app", "web", "tier", "front"));
    s.put(key(web), web);
    assertEquals(List.of("c"), names(s.byIndex(Indexes.LABEL, Indexes.label("app", "web"))));
    assertEquals(List.of("c"), names(s.byIndex(Indexes.LABEL, "tier=front")));

    ConfigMap db = configMap("ns", "c", Map.of("app", "db"));
    assertSame(web, s.put(key(db), db));
    assertEquals(List.of(), s.byIndex(Indexes.LABEL, "app=web"));
    assertEquals(List.of(), s.byIndex(Indexes.LABEL, "tier=front"));
    assertEquals(List.of("c"), names(s.byIndex(Indexes.LABEL, "app=db")));
    assertEquals(1, s.size());
  }

  @Test
  void ownerUidsIndexEveryOwner() {
    IndexedStore<ConfigMap> s = configMaps();
    ConfigMap one = configMap("ns", "one", Map.of(), "uid-1");
    ConfigMap both = configMap("ns", "both", Map.of(), "uid-1", "uid-2");
    ConfigMap orphan = configMap("ns", "orphan", Map.of());
    s.put(key(one), one);
    s.put(key(both), both);
    s.put(key(orphan), orphan);
    assertEquals(List.of("both", "one"), names(s.byIndex(Indexes.OWNER_UID, "uid-1")));
    assertEquals(List.of("both"), names(s.byIndex(Indexes.OWNER_UID, "uid-2")));
    assertEquals(Set.of("uid-1", "uid-2"), s.indexValues(Indexes.OWNER_UID));
  }

  @Test
  void podsByNodeNameLeaveUnboundPodsOut() {
    IndexedStore<Pod> s = new IndexedStore<>();
    s.addIndex(Indexes.NODE_NAME, Indexes.nodeName());
    Pod bound = pod("ns", "a", "node-1");
    Pod unbound = pod("ns", "b", null);
    s.put(key(bound), bound);
    s.put(key(unbound), unbound);
    assertEquals(List.of(bound), s.byIndex(Indexes.NODE_NAME, "node-1"));
    assertEquals(Set.of("node-1"), s.indexValues(Indexes.NODE_NAME));

    Pod moved = pod("ns", "b", "node-2");
    s.put(key(moved), moved);
    assertEquals(List.of(moved), s.byIndex(Indexes.NODE_NAME, "node-2"));
  }

  @Test
  void fieldIndexesReadAnyPathAndIgnoreMissingOnes() {
    IndexedStore<Pod> s = new IndexedStore<>();
    s.addIndex("image-of-nothing", Indexes.field("spec.noSuchField"));
    s.addIndex("restart", Indexes.field("metadata.name"));
    Pod p = pod("ns", "a", "n");
    s.put(key(p), p);
    assertEquals(Set.of(), s.indexValues("image-of-nothing"));
    assertEquals(List.of(p), s.byIndex("restart", "a"));
    assertThrows(IllegalArgumentException.class, () -> Indexes.field("spec..x"));
  }

  @Test
  void anIndexAddedLaterIndexesWhatIsStored() {
    IndexedStore<ConfigMap> s = new IndexedStore<>();
    ConfigMap cm = configMap("ns", "c", Map.of("app", "web"));
    s.put(key(cm), cm);
    s.addIndex(Indexes.LABEL, Indexes.labels());
    assertEquals(List.of(cm), s.byIndex(Indexes.LABEL, "app=web"));
    IllegalArgumentException dup = assertThrows(IllegalArgumentException.class,
        () -> s.addIndex(Indexes.LABEL, Indexes.labels()));
    assertTrue(dup.getMessage().contains("already exists"));
  }

  @Test
  void anUnknownIndexIsNamedWithTheKnownOnes() {
    IndexedStore<ConfigMap> s = configMaps();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.byIndex("colour", "red"));
    assertTrue(e.getMessage().contains("colour") && e.getMessage().contains(Indexes.OWNER_UID), e.getMessage());
  }

  @Test
  void aFailingIndexFunctionKeepsTheObjectInTheStore() {
    IndexedStore<ConfigMap> s = configMaps();
    s.addIndex("broken", o -> {
      throw new IllegalStateException("boom");
    });
    ConfigMap cm = configMap("ns", "c", "1");
    s.put(key(cm), cm);
    assertEquals(cm, s.get(key(cm)).orElseThrow());
    assertEquals(Set.of(), s.indexValues("broken"));
    assertEquals(List.of(cm), s.byIndex(Indexes.NAMESPACE, "ns"));
  }

  @Test
  void removeIfDropsMatchingKeysFromEveryIndex() {
    IndexedStore<ConfigMap> s = configMaps();
    for (String n : List.of("a", "b", "c")) {
      ConfigMap cm = configMap("ns", n, Map.of("app", "web"));
      s.put(key(cm), cm);
    }
    assertEquals(2, s.removeIf(k -> !k.endsWith("/b")).size());
    assertEquals(List.of("b"), names(s.byIndex(Indexes.LABEL, "app=web")));
  }
}
