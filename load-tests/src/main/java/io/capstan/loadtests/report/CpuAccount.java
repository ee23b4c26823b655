package io.capstan.loadtests.report;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where a phase's CPU went: the process's CPU time and each Java thread's, grouped by what the
 * thread does (its name without ids and numbers). On a shared machine the operations per second
 * move with the neighbours' load; the CPU milliseconds spent per operation do much less, so every
 * bench reports both. JIT compiler and GC threads are not Java threads: they are the process total
 * minus the threads listed. Only this JVM is counted: not other processes the bench drives (a
 * separate server, runc and the containers it starts).
 */
public final class CpuAccount {
  private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
  private final long processStartNanos;
  private final long wallStartNanos;
  private final Map<Long, Long> threadStart = new HashMap<>();
  private final long jitStartMillis;
  private final long gcStartMillis;

  private CpuAccount() {
    this.processStartNanos = processCpuNanos();
    this.wallStartNanos = System.nanoTime();
    this.jitStartMillis = jitMillis();
    this.gcStartMillis = gcPauseMillis();
    for (long id : threads.getAllThreadIds()) {
      threadStart.put(id, Math.max(0, threads.getThreadCpuTime(id)));
    }
  }

  /** Starts counting now. */
  public static CpuAccount start() {
    return new CpuAccount();
  }

  /** CPU time of the whole process (all threads, JIT and GC included), or -1 when the JVM cannot tell. */
  public static long processCpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  /** The JIT compilers' time since the JVM started (0 when the JVM cannot tell). */
  public static long jitMillis() {
    java.lang.management.CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : 0;
  }

  /** The collectors' time since the JVM started (G1: its pauses; its concurrent cycles too). */
  public static long gcPauseMillis() {
    long sum = 0;
    for (java.lang.management.GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      sum += Math.max(0, gc.getCollectionTime());
    }
    return sum;
  }

  /** What was spent since {@link #start}: the process total and the thread groups, largest first. */
  public Spent spent() {
    long wall = System.nanoTime() - wallStartNanos;
    long total = processCpuNanos() - processStartNanos;
    Map<String, Long> groups = new TreeMap<>();
    long listed = 0;
    for (long id : threads.getAllThreadIds()) {
      ThreadInfo info = threads.getThreadInfo(id);
      long cpu = threads.getThreadCpuTime(id);
      if (info == null || cpu < 0) {
        continue;
      }
      long used = cpu - threadStart.getOrDefault(id, 0L);
      groups.merge(group(info.getThreadName()), used, Long::sum);
      listed += used;
    }
    groups.merge("(JIT, GC and threads that ended)", Math.max(0, total - listed), Long::sum);
    Map<String, Long> sorted = new LinkedHashMap<>();
    groups.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .forEach(e -> sorted.put(e.getKey(), e.getValue()));
    return new Spent(wall, total, sorted, jitMillis() - jitStartMillis, gcPauseMillis() - gcStartMillis);
  }

  /** A thread's family: hex ids, UUIDs and numbers dropped ("capstan.processor-…-StreamThread-1" → "capstan.processor-StreamThread-#"). */
  public static String group(String name) {
    return name.replaceAll("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-?", "")
        .replaceAll("-[0-9a-f]{6,}", "")
        .replaceAll("\\d+", "#");
  }

  /**
   * CPU spent over a wall-clock interval, in nanoseconds, with the JIT compilers' and the garbage
   * collectors' time (milliseconds) over it: a bench whose throughput moves between runs of the
   * same code usually has the JIT still compiling in its measured phase.
   */
  public record Spent(long wallNanos, long processNanos, Map<String, Long> byThreadGroup, long jitMillis,
      long gcMillis) {
    /** The process's average number of busy cores. */
    public double cores() {
      return wallNanos == 0 ? 0 : (double) processNanos / wallNanos;
    }

    /**
     * The process's CPU milliseconds per operation: what a bench reports next to its throughput.
     * NaN (null in a JSON line) when no operation was measured.
     */
    public double msPer(long operations) {
      return operations <= 0 ? Double.NaN : processNanos / 1e6 / operations;
    }

    /** The JIT compilers' average busy cores over the interval. */
    public double jitCores() {
      return wallNanos == 0 ? 0 : jitMillis * 1e6 / wallNanos;
    }

    /** CPU nanoseconds of one thread group (0 when no such thread ran). */
    public long of(String group) {
      return byThreadGroup.getOrDefault(group, 0L);
    }

    /** A readable table of the largest groups. */
    public String table(int rows) {
      StringBuilder sb = new StringBuilder();
      sb.append(String.format("bench: CPU %.2f cores over %.1f s (JIT %.2f cores, GC %d ms)%n", cores(), wallNanos / 1e9,
          jitCores(), gcMillis));
      byThreadGroup.entrySet().stream().limit(rows).forEach(e -> sb.append(String.format("bench:   %5.1f%% %6.3f cores  %s%n",
          processNanos == 0 ? 0 : 100.0 * e.getValue() / processNanos, (double) e.getValue() / wallNanos, e.getKey())));
      return sb.toString();
    }
  }
}
