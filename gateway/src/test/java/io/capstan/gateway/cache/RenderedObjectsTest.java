package io.capstan.gateway.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.capstan.api.ConfigMap;
import io.capstan.api.ObjectMeta;
import io.capstan.gateway.store.StoredObject;
import io.capstan.logschema.json.KubeJson;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.generic.IndexedRecord;
import org.junit.jupiter.api.Test;

/** Kept renderings: reused while the object is current, dropped on change, bounded by the budget. */
class RenderedObjectsTest {
  private final Map<String, IndexedRecord> current = new HashMap<>();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  private static ConfigMap cm(String name, String value, long rv) {
    return ConfigMap.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("ns").setName(name).setResourceVersion(Long.toString(rv))
            .build()).setData(Map.of("v", value)).build();
  }

  private double reads(String result) {
    return registry.get("capstan_gateway_rendered_reads_total").tag("result", result).counter().count();
  }

  @Test
  void anUnchangedObjectIsRenderedOnceAndAChangeDropsItsRendering() throws Exception {
    RenderedObjects all = new RenderedObjects(1 << 20, registry);
    RenderedObjects.OfKind kind = all.new OfKind(current::get);
    ConfigMap v1 = cm("a", "one", 10);
    current.put("ConfigMap/ns/a", v1);

    StoredObject first = kind.read("ConfigMap/ns/a", v1);
    assertArrayEquals(KubeJson.jsonMapper().writeValueAsBytes(KubeJson.toJson(v1)), first.json(),
        "the same bytes as rendering the object directly");
    assertEquals(10, first.resourceVersion());
    assertSame(first, kind.read("ConfigMap/ns/a", v1), "a second read of the same version reuses the rendering");
    assertEquals(1, reads("hit"));
    assertEquals(1, reads("miss"));
    assertEquals(first.json().length, all.bytes());

    ConfigMap v2 = cm("a", "two", 11);
    current.put("ConfigMap/ns/a", v2);
    kind.forget("ConfigMap/ns/a");
    assertEquals(0, all.bytes(), "a change drops the old rendering");
    StoredObject second = kind.read("ConfigMap/ns/a", v2);
    assertNotSame(first, second);
    assertEquals(11, second.resourceVersion());
    assertEquals("two", KubeJson.jsonMapper().readTree(second.json()).path("data").path("v").asText());
  }

  @Test
  void anOlderVersionIsRenderedButNotKept() {
    RenderedObjects all = new RenderedObjects(1 << 20, registry);
    RenderedObjects.OfKind kind = all.new OfKind(current::get);
    ConfigMap old = cm("a", "old", 5);
    current.put("ConfigMap/ns/a", cm("a", "new", 6));
    StoredObject s = kind.read("ConfigMap/ns/a", old); // an exact list at an older version
    assertEquals(5, s.resourceVersion());
    assertEquals(0, all.bytes(), "only the current version is kept");
    assertNotSame(s, kind.read("ConfigMap/ns/a", old));
  }

  @Test
  void aChangeLandingWhileARenderingIsStoredLeavesNothingStale() {
    RenderedObjects all = new RenderedObjects(1 << 20, registry);
    ConfigMap v1 = cm("a", "one", 1);
    ConfigMap v2 = cm("a", "two", 2);
    int[] asked = {0};
    // the change lands between the reader's first check and its store: the second check sees it
    RenderedObjects.OfKind kind = all.new OfKind(key -> ++asked[0] == 1 ? v1 : v2);
    kind.read("ConfigMap/ns/a", v1);
    assertEquals(0, all.bytes(), "the rendering of the replaced version was dropped again");
  }

  @Test
  void pastTheBudgetObjectsAreRenderedButNotKept() {
    ConfigMap a = cm("a", "x".repeat(200), 1);
    ConfigMap b = cm("b", "y".repeat(200), 2);
    current.put("ConfigMap/ns/a", a);
    current.put("ConfigMap/ns/b", b);
    RenderedObjects all = new RenderedObjects(500, registry);
    RenderedObjects.OfKind kind = all.new OfKind(current::get);
    StoredObject keptA = kind.read("ConfigMap/ns/a", a);
    long used = all.bytes();
    assertEquals(keptA.json().length, used);
    StoredObject sb = kind.read("ConfigMap/ns/b", b);
    assertEquals(used, all.bytes(), "b does not fit in what is left of the budget");
    assertNotSame(sb, kind.read("ConfigMap/ns/b", b));
    assertSame(keptA, kind.read("ConfigMap/ns/a", a));
    kind.clear();
    assertEquals(0, all.bytes());
  }
}
