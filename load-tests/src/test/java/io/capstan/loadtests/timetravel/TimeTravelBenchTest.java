package io.capstan.loadtests.timetravel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/**
 * A CI-sized {@code bench timetravel} through the gateway: the live lists hold every object of
 * their namespace, the {@code asOf} lists what the log held then (the bench checks each list's
 * items and fails on a wrong one), and the line has its figures.
 */
class TimeTravelBenchTest {
  @Test
  void aSmallLogGivesItsFigures() throws Exception {
    TimeTravelBench.Result r = TimeTravelBench.run(new TimeTravelBench.Settings(500, 3, 5, 20, 2, 1), System.err);
    assertEquals(1500, r.events());
    assertEquals(500, r.objects());
    // 100 objects a namespace, all of them live; asOf a random instant the ones created by then
    assertEquals(100, r.itemsPerList(), r.json());
    assertTrue(r.asOfItemsPerList() > 0 && r.asOfItemsPerList() <= 100, r.json());
    assertTrue(r.asOfP99Ms() > 0 && r.liveP99Ms() > 0 && r.cachedP99Ms() > 0 && r.buildSeconds() > 0, r.json());
    JsonNode line = new ObjectMapper().readTree(r.json());
    assertTrue(r.reloadSeconds() > 0, r.json());
    for (String field : new String[] {"bench", "events", "build_s", "reload_s", "heap_mb", "heap_bytes_per_event",
        "items_per_list", "asof_items_per_list", "asof_list_p50_ms", "asof_list_p99_ms", "live_list_p50_ms",
        "live_list_p99_ms", "cached_list_p50_ms", "cached_list_p99_ms", "asof_vs_live_p99", "floor_met"}) {
      assertTrue(line.has(field), field + " in " + r.json());
    }
    assertEquals(r.asOfP99Ms() / r.liveP99Ms(), line.get("asof_vs_live_p99").asDouble(), 0.005); // two decimals
    assertEquals(r.asOfP99Ms() <= 500 && r.asOfP99Ms() / r.liveP99Ms() <= 20, line.get("floor_met").asBoolean());
  }
}
