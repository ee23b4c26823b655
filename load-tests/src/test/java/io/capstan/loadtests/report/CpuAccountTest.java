package io.capstan.loadtests.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.junit.jupiter.api.Test;

class CpuAccountTest {

  @Test
  void cpuIsAccountedToThreadFamilies() {
    assertEquals("capstan.processor-StreamThread-#",
        CpuAccount.group("capstan.processor-0f3a1b2c-1111-2222-3333-444455556666-StreamThread-1"));
    assertEquals("kafka-producer-network-thread | scheduler-commands",
        CpuAccount.group("kafka-producer-network-thread | scheduler-0b1c2d3e-commands"));
    CpuAccount account = CpuAccount.start();
    // 100 ms of this thread's own CPU, however long a loaded machine takes to give it that much
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long mine = threads.getCurrentThreadCpuTime();
    long x = 0;
    while (threads.getCurrentThreadCpuTime() - mine < 100_000_000L) {
      x += Long.numberOfTrailingZeros(System.nanoTime() | 1);
    }
    CpuAccount.Spent spent = account.spent();
    String me = CpuAccount.group(Thread.currentThread().getName());
    assertTrue(spent.of(me) >= 100_000_000L, "this thread spun for 100 ms of CPU: " + spent.byThreadGroup() + " " + x);
    assertTrue(spent.processNanos() >= spent.of(me), spent.toString());
    assertTrue(spent.table(3).startsWith("bench: CPU "), spent.table(3));
    assertEquals(spent.processNanos() / 1e6 / 4, spent.msPer(4), 1e-9);
    assertTrue(Double.isNaN(spent.msPer(0)), "no operations, no figure");
  }
}
