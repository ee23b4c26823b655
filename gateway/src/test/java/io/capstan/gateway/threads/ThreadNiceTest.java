package io.capstan.gateway.threads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** A thread's nice value is its own: setting it changes no other thread of the process. */
class ThreadNiceTest {

  /** What {@code apply(nice)} said on a new thread, and that thread's nice value afterwards. */
  private record Outcome(String refusal, int nice) {
  }

  private static Outcome onNewThread(ThreadFactory factory, Runnable before) throws InterruptedException {
    AtomicReference<Outcome> seen = new AtomicReference<>();
    Thread t = factory.newThread(() -> {
      before.run();
      seen.set(new Outcome(null, currentNice()));
    });
    t.start();
    t.join();
    return seen.get();
  }

  private static Outcome applyOnNewThread(int nice) throws InterruptedException {
    AtomicReference<String> refusal = new AtomicReference<>();
    Outcome o = onNewThread(Thread::new, () -> refusal.set(ThreadNice.apply(nice)));
    return new Outcome(refusal.get(), o.nice());
  }

  private static int currentNice() {
    try {
      return ThreadNice.niceOf(ThreadNice.currentThreadId());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void onlyTheCallingThreadChanges() throws Exception {
    int mine = currentNice();
    Outcome o = applyOnNewThread(5); // lowering priority is allowed to anyone
    assertNull(o.refusal());
    assertEquals(5, o.nice());
    assertEquals(mine, currentNice(), "the calling thread is unchanged");
  }

  @Test
  void raisingPriorityWorksAsRootAndOtherwiseSaysWhatItNeeds() throws Exception {
    Outcome o = applyOnNewThread(-3);
    if ("root".equals(System.getProperty("user.name"))) {
      assertNull(o.refusal());
      assertEquals(-3, o.nice());
    } else {
      assertTrue(o.refusal().contains("CAP_SYS_NICE"), o.refusal());
      assertEquals(0, o.nice());
    }
  }

  @Test
  void valuesOutsideTheKernelsRangeAreRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ThreadNice.apply(-21));
    assertEquals("a nice value is -20..19, not -21", e.getMessage());
  }

  @Test
  void poolThreadsRunAtNormalPriorityWhoeverStartsThem() throws Exception {
    AtomicReference<Outcome> pooled = new AtomicReference<>();
    onNewThread(Thread::new, () -> {
      ThreadNice.apply(6); // as an event loop would be (lowered here, which anyone may)
      try {
        pooled.set(onNewThread(ThreadNice.normalPriority("pool"), () -> { }));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    assertEquals(0, pooled.get().nice(), "a pooled thread started by a niced thread is reset to 0");
  }
}
