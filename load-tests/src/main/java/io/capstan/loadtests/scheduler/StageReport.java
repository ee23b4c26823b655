package io.capstan.loadtests.scheduler;

import io.capstan.scheduler.queue.SchedulingQueue;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.PrintStream;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Once a second during the measured phase, where the pods are: bound so far, scheduling attempts
 * (so attempts − bound are binds in flight), the scheduler's active queue, and how long commands
 * waited for the processor in that second (its command age). Tells which stage the pods queue at.
 */
final class StageReport implements AutoCloseable {
  private final Thread thread;
  private volatile boolean running = true;

  private StageReport(MeterRegistry registry, SchedulingQueue queue, AtomicInteger bound, PrintStream out) {
    this.thread = new Thread(() -> {
      Timer age = registry.find("capstan.processor.command.age").timer();
      Counter scheduled = registry.find("capstan.scheduler.schedule.attempts").tag("result", "scheduled").counter();
      long t0 = System.nanoTime();
      double scheduled0 = scheduled == null ? 0 : scheduled.count();
      long ageCount = age == null ? 0 : age.count();
      double ageTotal = age == null ? 0 : age.totalTime(TimeUnit.MILLISECONDS);
      while (running) {
        try {
          Thread.sleep(1000);
        } catch (InterruptedException e) {
          return;
        }
        long n = age == null ? 0 : age.count();
        double total = age == null ? 0 : age.totalTime(TimeUnit.MILLISECONDS);
        out.printf("bench: t=%4.1fs bound %5d, scheduled %5d, scheduler queue %5d, commands %4d at mean age %5.0f ms%n",
            (System.nanoTime() - t0) / 1e9, bound.get(), (long) ((scheduled == null ? 0 : scheduled.count()) - scheduled0),
            queue.activeSize(), n - ageCount, n == ageCount ? 0 : (total - ageTotal) / (n - ageCount));
        ageCount = n;
        ageTotal = total;
      }
    }, "bench-stage-report");
    thread.setDaemon(true);
  }

  static StageReport start(MeterRegistry registry, SchedulingQueue queue, AtomicInteger bound, PrintStream out) {
    StageReport r = new StageReport(registry, queue, bound, out);
    r.thread.start();
    return r;
  }

  @Override
  public void close() {
    running = false;
    thread.interrupt();
  }
}
