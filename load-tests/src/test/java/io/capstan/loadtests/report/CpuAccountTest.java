package io.capstan.loadtests.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CpuAccountTest {

  @Test
  void cpuIsAccountedToThreadFamilies() {
    assertEquals("capstan.processor-StreamThread-#",
        CpuAccount.group("capstan.processor-0f3a1b2c-1111-2222-3333-444455556666-StreamThread-1"));
    assertEquals("kafka-producer-network-thread | scheduler-commands",
        CpuAccount.group("kafka-producer-network-thread | scheduler-0b1c2d3e-commands"));
    CpuAccount account = CpuAccount.start();
    long x = 0;
    long until = System.nanoTime() + 200_000_000L;
    while (System.nanoTime() < until) {
      x += Long.numberOfTrailingZeros(System.nanoTime() | 1);
    }
    CpuAccount.Spent spent = account.spent();
    String me = CpuAccount.group(Thread.currentThread().getName());
    assertTrue(spent.of(me) > 50_000_000L, "this thread spun for 200 ms: " + spent.byThreadGroup() + " " + x);
    assertTrue(spent.processNanos() >= spent.of(me), spent.toString());
    assertTrue(spent.table(3).startsWith("bench: CPU "), spent.table(3));
  }
}
