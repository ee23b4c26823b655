package io.capstan.loadtests.timetravel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** A CI-sized {@code bench timetravel}: every event is read, lists hold their namespace, the line has its figures. */
class TimeTravelBenchTest {
  @Test
  void aSmallLogGivesItsFigures() throws Exception {
    TimeTravelBench.Result r = TimeTravelBench.run(new TimeTravelBench.Settings(500, 3, 5, 20, 2, 1), System.err);
    assertEquals(1500, r.events());
    assertEquals(500, r.objects());
    // 100 objects a namespace; at a random instant the ones created by then
    assertTrue(r.itemsPerList() > 0 && r.itemsPerList() <= 100, "items per list: " + r.itemsPerList());
    assertTrue(r.asOfP99Ms() > 0 && r.newestP99Ms() > 0, r.json());
    JsonNode line = new ObjectMapper().readTree(r.json());
    for (String field : new String[] {"bench", "events", "build_s", "heap_bytes_per_event", "asof_list_p99_ms",
        "newest_list_p99_ms"}) {
      assertTrue(line.has(field), field + " in " + r.json());
    }
  }
}
