package io.capstan.loadtests.robustness;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.loadtests.api.InProcessStack;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * CI-sized robustness runs against the in-process stack (a real broker, processor and gateway over
 * HTTPS): the real store is clean; a store that acknowledges writes it drops, and one that serves
 * stale reads, are caught. One stack serves the three runs: its gateway's store breaks only the
 * namespaces of the broken runs (a run's namespace starts with {@code robustness-<seed>-}).
 *
 * <p>Four partitions, as {@code capstan up} runs by default: watches then merge the partitions'
 * events into one resourceVersion order and lists wait for the log's end offsets (issue 20's two
 * findings, which showed only with several partitions).
 */
class RobustnessBenchTest {
  private static final RobustnessBench.Settings CI = RobustnessBench.Settings.defaults().withSeconds(12).withSeed(42)
      .withPartitions(4);
  private static final long DROPPING = 43;
  private static final long STALE = 44;

  private static InProcessStack stack;

  @BeforeAll
  static void startStack() throws Exception {
    stack = InProcessStack.start(CI.partitions(), io.capstan.gateway.server.GatewayConfig.defaultEventLoops(),
        System.out, real -> BrokenStores.staleReads(BrokenStores.droppingWrites(real, 5, namespaces(DROPPING)), 2,
            namespaces(STALE)));
  }

  @AfterAll
  static void stopStack() {
    if (stack != null) {
      stack.close();
    }
  }

  /** The prefix of the namespace of the run with this seed. */
  private static String namespaces(long seed) {
    return "robustness-" + seed + "-";
  }

  private static RobustnessBench bench(long seed, ByteArrayOutputStream log) {
    return new RobustnessBench(CI.withSeed(seed).withKubeconfig(stack.kubeconfig()), progress(log));
  }

  private static RobustnessBench.Result run(RobustnessBench bench, ByteArrayOutputStream log) throws Exception {
    RobustnessBench.Result r = bench.run();
    String line = r.jsonLine();
    System.out.println(line);
    assertTrue(line.startsWith("{\"bench\":\"robustness\",\"ops\":"), line);
    assertTrue(r.operations() > 50, line + "\n" + log);
    return r;
  }

  private static PrintStream progress(ByteArrayOutputStream log) {
    return new PrintStream(new Tee(log, System.out), true);
  }

  @Test
  void theRealStackShowsNoAnomaly() throws Exception {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    RobustnessBench.Result r = run(bench(CI.seed(), log), log);
    assertTrue(r.watchSessions() > 2 && r.watchEvents() > 20, r.jsonLine());
    assertTrue(r.clean(), r.jsonLine() + "\n" + log);
  }

  @Test
  void aGatewayThatAcknowledgesWritesItDropsIsCaught() throws Exception {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    RobustnessBench.Result r = run(bench(DROPPING, log), log);
    assertFalse(r.clean(), r.jsonLine());
    assertFalse(r.lost().isEmpty(), "the dropped writes are lost acknowledged writes: " + r.jsonLine() + "\n" + log);
    assertFalse(r.anomalies().isEmpty(), "and reads after them do not see them: " + r.jsonLine() + "\n" + log);
  }

  @Test
  void aGatewayThatServesStaleReadsIsCaught() throws Exception {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    RobustnessBench.Result r = run(bench(STALE, log), log);
    assertFalse(r.anomalies().isEmpty(), r.jsonLine() + "\n" + log);
    assertTrue(r.lost().isEmpty() && r.phantom().isEmpty(), "nothing was lost, only read stale: " + r.jsonLine());
  }

  /** Writes to both streams. */
  private static final class Tee extends OutputStream {
    private final OutputStream a;
    private final OutputStream b;

    Tee(OutputStream a, OutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public void write(int x) throws java.io.IOException {
      a.write(x);
      b.write(x);
    }

    @Override
    public void write(byte[] bytes, int off, int len) throws java.io.IOException {
      a.write(bytes, off, len);
      b.write(bytes, off, len);
    }
  }
}
