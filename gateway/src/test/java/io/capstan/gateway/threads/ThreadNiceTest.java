package io.capstan.gateway.threads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** A thread's nice value is its own: setting it changes no other thread of the process. */
class ThreadNiceTest {

  @Test
  void onlyTheCallingThreadChanges() throws Exception {
    int mine = ThreadNice.niceOf(ThreadNice.currentThreadId());
    AtomicReference<String> outcome = new AtomicReference<>();
    AtomicReference<Integer> seen = new AtomicReference<>();
    Thread t = new Thread(() -> {
      outcome.set(ThreadNice.apply(5)); // lowering priority is allowed to anyone
      try {
        seen.set(ThreadNice.niceOf(ThreadNice.currentThreadId()));
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      }
    });
    t.start();
    t.join();
    assertNull(outcome.get());
    assertEquals(5, seen.get());
    assertEquals(mine, ThreadNice.niceOf(ThreadNice.currentThreadId()), "the calling thread is unchanged");
  }

  @Test
  void raisingPriorityWorksAsRootAndOtherwiseSaysWhatItNeeds() throws Exception {
    AtomicReference<String> outcome = new AtomicReference<>();
    AtomicReference<Integer> seen = new AtomicReference<>();
    Thread t = new Thread(() -> {
      outcome.set(ThreadNice.apply(-3));
      try {
        seen.set(ThreadNice.niceOf(ThreadNice.currentThreadId()));
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      }
    });
    t.start();
    t.join();
    if ("root".equals(System.getProperty("user.name"))) {
      assertNull(outcome.get());
      assertEquals(-3, seen.get());
    } else {
      assertTrue(outcome.get().contains("CAP_SYS_NICE"), outcome.get());
      assertEquals(0, seen.get());
    }
  }

  @Test
  void valuesOutsideTheKernelsRangeAreRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ThreadNice.apply(-21));
    assertEquals("a nice value is -20..19, not -21", e.getMessage());
  }

  @Test
  void poolThreadsRunAtNormalPriorityWhoeverStartsThem() throws Exception {
    AtomicReference<Integer> seen = new AtomicReference<>();
    Thread starter = new Thread(() -> {
      ThreadNice.apply(6); // as an event loop would be (lowered here, which anyone may)
      Thread pooled = ThreadNice.normalPriority("pool").newThread(() -> {
        try {
          seen.set(ThreadNice.niceOf(ThreadNice.currentThreadId()));
        } catch (java.io.IOException e) {
          throw new IllegalStateException(e);
        }
      });
      pooled.start();
      try {
        pooled.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    starter.start();
    starter.join();
    assertEquals(0, seen.get(), "a pooled thread started by a niced thread is reset to 0");
  }
}
