package io.capstan.loadtests.robustness.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * When to hurt which process, planned from a seed before the run (the same seed gives the same
 * schedule, so a failing run can be repeated): as etcd's robustness suite, {@code kill -9} and a
 * restart, or a SIGSTOP/SIGCONT pause of a few seconds. The faults are spread evenly from
 * {@link #WARM_UP} after the start to {@link #QUIET_TAIL} of the run before its end, so the
 * cluster has time to converge before the checks. Every kind of fault comes once per round, in a
 * seeded order; the first round starts with a broker kill and a processor kill (the faults that
 * test the log itself), so even a short run has them.
 */
public final class FaultSchedule {
  /** No fault in the first part of the run: the clients and watchers reach a steady state first. */
  public static final Duration WARM_UP = Duration.ofSeconds(20);
  /** The last part of the run (a fraction) stays quiet: the cluster converges before the checks. */
  public static final double QUIET_TAIL = 0.2;
  /** How far apart faults are, by default: 600 s give 22 faults. */
  public static final Duration DEFAULT_SPACING = Duration.ofSeconds(20);

  /** What is done to the process. */
  public enum Action { KILL, PAUSE }

  /** Which process: an instance of a role, or the one holding a leadership at the time. */
  public enum Target {
    BROKER, PROCESSOR, GATEWAY, CONTROLLER_MANAGER, SCHEDULER_LEADER;

    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
  }

  /**
   * One planned fault: at {@code at} after the start, {@code action} on {@code target}'s
   * {@code instance} (for the scheduler leader: whichever holds the lease then); a kill restarts
   * the process after {@code downFor}, a pause resumes it after {@code downFor}.
   */
  public record Fault(Duration at, Action action, Target target, int instance, Duration downFor) {
    public String describe() {
      return String.format("%s %s%s for %.1f s", action == Action.KILL ? "kill -9" : "SIGSTOP", target.label(),
          target == Target.SCHEDULER_LEADER ? "" : "-" + instance, downFor.toMillis() / 1000.0);
    }
  }

  /** The kinds of fault a cluster of this shape can take (a role with fewer than two instances is not hurt). */
  public static List<Fault> kinds(ProcessCluster.Shape shape) {
    List<Fault> kinds = new ArrayList<>();
    if (shape.brokers() >= 3) {
      kinds.add(kind(Action.KILL, Target.BROKER));
      kinds.add(kind(Action.PAUSE, Target.BROKER));
    }
    if (shape.processors() >= 2) {
      kinds.add(kind(Action.KILL, Target.PROCESSOR));
      kinds.add(kind(Action.PAUSE, Target.PROCESSOR));
    }
    if (shape.gateways() >= 2) {
      kinds.add(kind(Action.KILL, Target.GATEWAY));
      kinds.add(kind(Action.PAUSE, Target.GATEWAY));
    }
    if (shape.controllerManagers() >= 2) {
      kinds.add(kind(Action.KILL, Target.CONTROLLER_MANAGER));
    }
    if (shape.schedulers() >= 2) {
      kinds.add(kind(Action.KILL, Target.SCHEDULER_LEADER));
    }
    return kinds;
  }

  private static Fault kind(Action a, Target t) {
    return new Fault(Duration.ZERO, a, t, 0, Duration.ZERO);
  }

  /** The schedule of a run of {@code run} with faults {@code spacing} apart, on a cluster of {@code shape}. */
  public static List<Fault> plan(long seed, Duration run, Duration spacing, ProcessCluster.Shape shape) {
    List<Fault> kinds = kinds(shape);
    long first = WARM_UP.toMillis();
    long last = (long) (run.toMillis() * (1 - QUIET_TAIL));
    if (kinds.isEmpty() || last < first) {
      return List.of();
    }
    int count = (int) ((last - first) / spacing.toMillis()) + 1;
    Random rnd = new Random(seed);
    List<Fault> round = new ArrayList<>();
    List<Fault> planned = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      if (round.isEmpty()) {
        round.addAll(kinds);
        Collections.shuffle(round, rnd);
        if (i == 0) { // the log's own faults first
          round.sort(java.util.Comparator.comparingInt(k -> k.action() == Action.KILL
              && (k.target() == Target.BROKER || k.target() == Target.PROCESSOR) ? 0 : 1));
        }
      }
      Fault k = round.remove(0);
      int instances = switch (k.target()) {
        case BROKER -> shape.brokers();
        case PROCESSOR -> shape.processors();
        case GATEWAY -> shape.gateways();
        case CONTROLLER_MANAGER -> shape.controllerManagers();
        case SCHEDULER_LEADER -> 1;
      };
      // A kill: restarted after 1–4 s; a pause: 2–6 s ("a few seconds", longer than a session's heartbeat).
      Duration down = Duration.ofMillis(k.action() == Action.KILL ? 1000 + rnd.nextInt(3000) : 2000 + rnd.nextInt(4000));
      planned.add(new Fault(Duration.ofMillis(first + i * spacing.toMillis()), k.action(), k.target(),
          rnd.nextInt(instances), down));
    }
    return List.copyOf(planned);
  }

  private FaultSchedule() {}
}
