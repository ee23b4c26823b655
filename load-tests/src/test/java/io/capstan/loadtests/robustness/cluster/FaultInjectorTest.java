package io.capstan.loadtests.robustness.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.loadtests.robustness.cluster.FaultSchedule.Action;
import io.capstan.loadtests.robustness.cluster.FaultSchedule.Fault;
import io.capstan.loadtests.robustness.cluster.FaultSchedule.Target;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The injector on real processes (shells standing in for brokers and processors, a broker taking
 * a second to be ready again): faults on one role one at a time, on different roles overlapping,
 * each with its recovery; a process that does not come back is a fault not recovered from.
 */
class FaultInjectorTest {
  final List<ClusterProcess> all = new ArrayList<>();

  ClusterProcess process(Path dir, String name, String script) {
    ClusterProcess p = new ClusterProcess(name, List.of("sh", "-c", script), dir.resolve(name),
        Pattern.compile("ready"), Map.of());
    p.start();
    all.add(p);
    return p;
  }

  @AfterEach
  void stopAll() throws InterruptedException {
    for (ClusterProcess p : all) {
      if (p.alive()) {
        p.stop(Duration.ofSeconds(5));
      }
    }
  }

  FaultInjector.Targets targets(List<ClusterProcess> brokers, List<ClusterProcess> processors) {
    return new FaultInjector.Targets() {
      @Override
      public List<ClusterProcess> processes(Target target) {
        return target == Target.BROKER ? brokers : processors;
      }

      @Override
      public ClusterProcess schedulerWithIdentity(String holder) {
        return null;
      }

      @Override
      public void awaitReady(ClusterProcess p) throws InterruptedException {
        p.awaitReady(Duration.ofSeconds(30));
      }
    };
  }

  static Fault fault(long atMs, Action a, Target t, int instance) {
    return new Fault(Duration.ofMillis(atMs), a, t, instance, Duration.ofMillis(100));
  }

  @Test
  void aRoleTakesOneFaultAtATimeWhileOtherRolesFaultsOverlap(@TempDir Path dir) throws Exception {
    List<ClusterProcess> brokers = List.of(process(dir, "broker-0", "sleep 1; echo ready; exec sleep 600"),
        process(dir, "broker-1", "sleep 1; echo ready; exec sleep 600"));
    List<ClusterProcess> processors = List.of(process(dir, "processor-0", "echo ready; exec sleep 600"));
    for (ClusterProcess p : all) {
      p.awaitReady(Duration.ofSeconds(30));
    }
    long pid0 = brokers.get(0).pid();
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    FaultInjector injector = new FaultInjector(targets(brokers, processors), List.of(
        fault(100, Action.KILL, Target.BROKER, 0), fault(200, Action.KILL, Target.PROCESSOR, 0),
        fault(300, Action.PAUSE, Target.BROKER, 1)),
        new RecoveryProbe(List.of(() -> true)), () -> null, new PrintStream(log, true));
    long start = System.nanoTime();
    injector.run(start, start + Duration.ofSeconds(60).toNanos());

    List<FaultInjector.Injected> done = injector.injected();
    assertEquals(3, done.size(), log.toString());
    FaultInjector.Injected brokerKill = find(done, Action.KILL, Target.BROKER);
    FaultInjector.Injected processorKill = find(done, Action.KILL, Target.PROCESSOR);
    FaultInjector.Injected brokerPause = find(done, Action.PAUSE, Target.BROKER);
    assertTrue(processorKill.atSeconds() < 1.0, "the processor's fault did not wait for the broker's restart: " + log);
    assertTrue(brokerPause.atSeconds() >= brokerKill.atSeconds() + 1.0,
        "the broker role's second fault waited for the first one's restart: " + log);
    assertEquals(pid0, brokerKill.pid());
    assertNotEquals(pid0, brokers.get(0).pid(), "restarted");
    for (FaultInjector.Injected f : done) {
      assertNotNull(f.recovery(), f.describe());
    }
    for (ClusterProcess p : all) {
      assertTrue(p.alive(), p.name());
    }
    assertTrue(injector.recoveryMaxSeconds() < 10, log.toString());
  }

  @Test
  void aProcessThatDoesNotComeBackIsAFaultNotRecoveredFrom(@TempDir Path dir) throws Exception {
    Path marker = dir.resolve("started-once");
    ClusterProcess broker = process(dir, "broker-0",
        "if [ -e " + marker + " ]; then echo 'cannot start' >&2; exit 1; fi; touch " + marker + "; echo ready; exec sleep 600");
    broker.awaitReady(Duration.ofSeconds(30));
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    FaultInjector injector = new FaultInjector(targets(List.of(broker), List.of()),
        List.of(fault(0, Action.KILL, Target.BROKER, 0)), new RecoveryProbe(List.of(() -> false)), () -> null,
        new PrintStream(log, true));
    long start = System.nanoTime();
    injector.run(start, start + Duration.ofSeconds(60).toNanos());
    assertEquals(1, injector.injected().size(), log.toString());
    assertNull(injector.injected().get(0).recovery());
    assertEquals(Double.POSITIVE_INFINITY, injector.recoveryMaxSeconds());
    assertTrue(log.toString().contains("cannot start"), log.toString());
  }

  static FaultInjector.Injected find(List<FaultInjector.Injected> done, Action a, Target t) {
    return done.stream().filter(f -> f.fault().action() == a && f.fault().target() == t).findFirst().orElseThrow();
  }
}
