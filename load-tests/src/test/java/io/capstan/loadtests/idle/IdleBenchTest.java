package io.capstan.loadtests.idle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class IdleBenchTest {

  @Test
  void sumsEverySeriesOfTheMetricAndNoOther() {
    String page = """
        # HELP kafka_stream_thread_commit_total The total number of commit calls
        # TYPE kafka_stream_thread_commit_total counter
        kafka_stream_thread_commit_total{thread_id="a"} 12.0
        kafka_stream_thread_commit_total{thread_id="b"} 30.0
        kafka_stream_thread_commit_total_other 1000.0
        kafka_stream_thread_commit_rate{thread_id="a"} 5.0
        """;
    assertEquals(42.0, IdleBench.sumOf(page, IdleBench.COMMITS));
    assertEquals(0.0, IdleBench.sumOf("", IdleBench.COMMITS));
  }

  @Test
  void readsTheReadyLine() {
    Map<String, String> m = IdleBench.readyLine("capstan ready: api=https://127.0.0.1:40001 kubeconfig=/d/kubeconfig"
        + " kafka=127.0.0.1:40002 metrics=http://127.0.0.1:40003/metrics");
    assertEquals("127.0.0.1:40002", m.get("kafka"));
    assertEquals("http://127.0.0.1:40003/metrics", m.get("metrics"));
    assertThrows(IllegalArgumentException.class, () -> IdleBench.readyLine("capstan ready: api=https://x"));
  }

  @Test
  void readsThisProcesssCpuMemoryAndThreads() throws Exception {
    long pid = ProcessHandle.current().pid();
    long before = IdleBench.cpuTicks(pid);
    long spin = System.nanoTime() + 300_000_000L;
    double x = 0;
    while (System.nanoTime() < spin) {
      x += Math.sqrt(x + 1);
    }
    assertTrue(x > 0);
    assertTrue(IdleBench.cpuTicks(pid) > before, "300 ms of spinning shows in /proc's CPU time");
    assertTrue(IdleBench.rssMb(pid) > 10);
    assertTrue(IdleBench.threads(pid) >= Thread.activeCount());
  }
}
