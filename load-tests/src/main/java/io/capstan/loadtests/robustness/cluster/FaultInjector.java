package io.capstan.loadtests.robustness.cluster;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Carries out a {@link FaultSchedule} on a {@link ProcessCluster}: at each fault's time it kills
 * ({@code kill -9}, then a restart after the planned time, waiting for the ready line) or pauses
 * (SIGSTOP, SIGCONT after the planned time) the process, and measures with the
 * {@link RecoveryProbe} how long until writes through every gateway succeed again. A fault on a
 * role starts only once the role's previous fault is over (its process ready again, or resumed),
 * so no role ever has two members down at once; faults on different roles may overlap, as they
 * do in production (a fault's recovery then lasts until the cluster has recovered from both). A
 * fault whose time comes after the traffic ended is left out.
 */
public final class FaultInjector {
  /** How long a fault may take to recover from before the run says it did not. */
  public static final Duration RECOVERY_BOUND = Duration.ofMinutes(5);

  /** A fault as it happened: when, to which process, and the time until writes through every gateway succeeded (null: never). */
  public record Injected(FaultSchedule.Fault fault, String process, long pid, Instant at, double atSeconds,
      Duration recovery) {
    public String describe() {
      return String.format("%7.1f s  %-28s %-14s pid %-7d recovered %s", atSeconds, fault.describe(), process, pid,
          recovery == null ? "NOT within " + RECOVERY_BOUND.toSeconds() + " s"
              : String.format("in %.1f s", recovery.toMillis() / 1000.0));
    }
  }

  /** The processes faults are done to: {@link ProcessCluster}, or a test's. */
  public interface Targets {
    /** The processes of a target's role. */
    List<ClusterProcess> processes(FaultSchedule.Target target);

    /** The scheduler whose leader-election identity is {@code holder}, or null. */
    ClusterProcess schedulerWithIdentity(String holder);

    /** Waits until a restarted process is ready again; an IllegalStateException when it is not. */
    void awaitReady(ClusterProcess p) throws InterruptedException;
  }

  private final Targets cluster;
  private final List<FaultSchedule.Fault> schedule;
  private final RecoveryProbe probe;
  private final Supplier<String> schedulerLeader;
  private final PrintStream progress;
  private final List<Injected> injected = new CopyOnWriteArrayList<>();

  /** @param schedulerLeader the current holder of the scheduler's Lease (its leader-election identity), or null */
  public FaultInjector(Targets cluster, List<FaultSchedule.Fault> schedule, RecoveryProbe probe,
      Supplier<String> schedulerLeader, PrintStream progress) {
    this.cluster = cluster;
    this.schedule = List.copyOf(schedule);
    this.probe = probe;
    this.schedulerLeader = schedulerLeader;
    this.progress = progress;
  }

  /**
   * Runs the schedule from {@code startNanos}; faults planned at or after {@code endNanos}, or
   * whose role is still down then, are skipped. Returns once every fault started is over.
   */
  public void run(long startNanos, long endNanos) throws InterruptedException {
    Map<FaultSchedule.Target, CountDownLatch> back = new EnumMap<>(FaultSchedule.Target.class);
    List<Thread> running = new ArrayList<>();
    try {
      for (FaultSchedule.Fault f : schedule) {
        long at = startNanos + f.at().toNanos();
        if (at - endNanos >= 0) {
          break;
        }
        long wait = at - System.nanoTime();
        if (wait > 0) {
          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
        CountDownLatch previous = back.get(f.target());
        while (previous != null && !previous.await(200, TimeUnit.MILLISECONDS) && System.nanoTime() - endNanos < 0) {
          // the role's previous fault is not over yet
        }
        if (System.nanoTime() - endNanos >= 0) {
          progress.println("fault skipped (the traffic ended before it could start): " + f.describe());
          break;
        }
        CountDownLatch over = new CountDownLatch(1);
        back.put(f.target(), over);
        ClusterProcess p = target(f);
        Thread t = new Thread(() -> {
          try {
            inject(f, p, startNanos, over);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } finally {
            over.countDown();
          }
        }, "fault-" + p.name());
        t.setDaemon(true);
        t.start();
        running.add(t);
      }
    } finally {
      for (Thread t : running) {
        t.join();
      }
    }
  }

  private void inject(FaultSchedule.Fault f, ClusterProcess p, long startNanos, CountDownLatch over)
      throws InterruptedException {
    long pid = p.pid();
    long t = System.nanoTime();
    Instant at = Instant.now();
    double atSeconds = (t - startNanos) / 1e9;
    progress.printf("fault at %.1f s (%s): %s (%s, pid %d)%n", atSeconds, at, f.describe(), p.name(), pid);
    Duration[] recovery = new Duration[1];
    Thread probing = new Thread(() -> {
      try {
        recovery[0] = probe.await(t, RECOVERY_BOUND);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "recovery-probe");
    if (f.action() == FaultSchedule.Action.KILL) {
      p.kill();
      probing.start();
      Thread.sleep(f.downFor().toMillis());
      p.start();
      try {
        cluster.awaitReady(p);
      } catch (IllegalStateException e) {
        // did not come back: the fault counts as not recovered, and the run goes on without it
        progress.println("fault: " + e.getMessage());
        probing.interrupt();
        probing.join();
        injected.add(new Injected(f, p.name(), pid, at, atSeconds, null));
        return;
      }
    } else {
      p.pause();
      probing.start();
      Thread.sleep(f.downFor().toMillis());
      p.resume();
    }
    over.countDown(); // the role may take its next fault; this one's recovery is still measured
    probing.join();
    Injected done = new Injected(f, p.name(), pid, at, atSeconds, recovery[0]);
    injected.add(done);
    progress.println("fault done: " + done.describe());
  }

  private ClusterProcess target(FaultSchedule.Fault f) {
    List<ClusterProcess> ps = cluster.processes(f.target());
    if (f.target() == FaultSchedule.Target.SCHEDULER_LEADER) {
      ClusterProcess leader = cluster.schedulerWithIdentity(schedulerLeader.get());
      if (leader != null) {
        return leader;
      }
      progress.println("fault: no scheduler holds the lease now; hurting scheduler-0");
    }
    return ps.get(f.instance() % ps.size());
  }

  /** The faults injected so far, by the time they started. */
  public List<Injected> injected() {
    return injected.stream().sorted(java.util.Comparator.comparingDouble(Injected::atSeconds)).toList();
  }

  /** The longest recovery, in seconds; infinite when a fault never recovered. */
  public double recoveryMaxSeconds() {
    double max = 0;
    for (Injected i : injected) {
      max = Math.max(max, i.recovery() == null ? Double.POSITIVE_INFINITY : i.recovery().toMillis() / 1000.0);
    }
    return max;
  }
}
