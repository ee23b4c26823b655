package io.capstan.loadtests.write;

import io.capstan.api.ConfigMap;
import io.capstan.api.Container;
import io.capstan.api.Namespace;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodSpec;
import io.capstan.loadtests.report.CpuAccount;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.kafka.EmbeddedKafkaBroker;
import io.capstan.stateviews.kafka.TopicAdmin;
import io.capstan.stateviews.processor.CommandProcessor;
import io.capstan.stateviews.processor.ProcessorConfig;
import io.capstan.stateviews.replay.Replay;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.HdrHistogram.Recorder;
import org.HdrHistogram.Histogram;
import org.apache.avro.specific.SpecificRecord;

/**
 * Creates N objects (ConfigMaps and Pods, alternating) through the command client with C
 * concurrent callers, each with one request in flight, and measures send-to-reply latency.
 * A warm-up phase of the same load runs first and is not measured: the first seconds of a JVM
 * are dominated by JIT compilation. Without {@code --kafka} it runs against a fresh embedded
 * broker and an in-process command processor, and replays the event log at the end to check
 * it matches the state tables.
 */
public final class WriteBench {
  /** The schedulerName of the bench's pods, which no Capstan scheduler serves. */
  static final String UNSCHEDULED = "capstan-bench-unscheduled";


  /** Benchmark settings; every default is here once. */
  public record Settings(
      int objects,
      int clients,
      String kafka,
      Map<String, Object> kafkaExtra,
      String topicPrefix,
      int partitions,
      long commitIntervalMs,
      long earlyCommitQuietMs,
      long watermarkIntervalMs,
      int streamThreads,
      boolean inMemoryStores,
      int warmupSeconds,
      int clientInstances,
      boolean startProcessor,
      boolean verify) {

    public static final int DEFAULT_OBJECTS = 100_000;
    public static final int DEFAULT_CLIENTS = 512;
    public static final int DEFAULT_PARTITIONS = 4;
    public static final long DEFAULT_COMMIT_INTERVAL_MS = ProcessorConfig.DEFAULT_COMMIT_INTERVAL_MS;
    public static final long DEFAULT_EARLY_COMMIT_QUIET_MS = ProcessorConfig.DEFAULT_EARLY_COMMIT_QUIET_MS;
    public static final long DEFAULT_WATERMARK_INTERVAL_MS = ProcessorConfig.DEFAULT_WATERMARK_INTERVAL_MS;
    public static final int DEFAULT_STREAM_THREADS = 1;
    public static final int DEFAULT_WARMUP_SECONDS = 15;
    public static final int DEFAULT_CLIENT_INSTANCES = 1;
  }

  /**
   * The figures of one run.
   *
   * @param cpuMsPerCreate this process's CPU over the measured creates, per create sent (accepted or
   *                       not): the broker's, the processor's and the clients' with the embedded
   *                       broker; with {@code --kafka} only the clients' (and the processor's with
   *                       {@code --with-processor}), as the cluster's run in other processes
   * @param cpuCores       this process's average busy cores over the measured creates
   */
  public record Result(Settings settings, long accepted, long rejected, long timeouts, double throughputPerSec,
      double cpuMsPerCreate, double cpuCores, double p50Ms, double p99Ms, double p999Ms, double maxMs, double seconds,
      String replay, double jitCores, long gcMs) {

    public String jsonLine() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("bench", "write");
      m.put("objects", settings.objects());
      m.put("clients", settings.clients());
      m.put("throughput_per_s", round(throughputPerSec));
      // robust to a busy machine where the throughput is not
      m.put("cpu_ms_per_create", Math.round(cpuMsPerCreate * 1000.0) / 1000.0);
      m.put("cpu_cores", round(cpuCores));
      m.put("p50_ms", round(p50Ms));
      m.put("p99_ms", round(p99Ms));
      m.put("p999_ms", round(p999Ms));
      m.put("max_ms", round(maxMs));
      m.put("accepted", accepted);
      m.put("rejected", rejected);
      m.put("timeouts", timeouts);
      m.put("seconds", round(seconds));
      // the JIT still compiling in the measured phase is what moves this bench's figures between runs
      // (the compilers' busy time per second of the phase, as the scheduler bench's jit_cores)
      m.put("jit_cores", round(jitCores));
      m.put("gc_ms", gcMs);
      m.put("partitions", settings.partitions());
      // The processor's settings are ours only when we run it; against a cluster they are its own.
      if (settings.startProcessor()) {
        m.put("commit_interval_ms", settings.commitIntervalMs());
        m.put("early_commit_quiet_ms", settings.earlyCommitQuietMs());
        m.put("watermark_interval_ms", settings.watermarkIntervalMs());
        m.put("stream_threads", settings.streamThreads());
        m.put("in_memory_stores", settings.inMemoryStores());
      }
      m.put("processor", settings.startProcessor() ? "in-process" : "cluster");
      m.put("client_instances", settings.clientInstances());
      m.put("warmup_s", settings.warmupSeconds());
      m.put("embedded_broker", settings.kafka() == null);
      m.put("replay", replay);
      StringBuilder b = new StringBuilder("{");
      m.forEach((k, v) -> {
        if (b.length() > 1) {
          b.append(',');
        }
        b.append('"').append(k).append("\":");
        b.append(v instanceof String ? "\"" + v + "\"" : String.valueOf(v));
      });
      return b.append('}').toString();
    }

    private static double round(double v) {
      return Math.round(v * 100.0) / 100.0;
    }
  }

  private static final String NAMESPACE = "bench";

  private final Settings s;
  private final PrintStream progress;

  public WriteBench(Settings settings, PrintStream progress) {
    this.s = settings;
    this.progress = progress;
  }

  public Result run() throws InterruptedException {
    Path tmp = null;
    EmbeddedKafkaBroker broker = null;
    CommandProcessor processor = null;
    List<CommandClient> clients = new ArrayList<>();
    MeterRegistry registry = new SimpleMeterRegistry();
    try {
      Map<String, Object> kafka = new HashMap<>(s.kafkaExtra());
      if (s.kafka() == null) {
        tmp = Files.createTempDirectory("capstan-bench-");
        progress.println("bench: starting a fresh embedded Kafka broker in " + tmp);
        broker = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Config.of(tmp.resolve("kafka"), 0));
        kafka.put("bootstrap.servers", broker.bootstrap());
      } else {
        kafka.put("bootstrap.servers", s.kafka());
      }
      TopicLayout layout = new TopicLayout(s.topicPrefix());
      int partitions = TopicAdmin.ensureTopics(kafka, layout, s.partitions(), (short) 1);
      if (s.startProcessor()) {
        if (tmp == null) { // against --kafka: a temp dir for the stores alone, removed at the end as well
          tmp = Files.createTempDirectory("capstan-bench-");
        }
        Path stateDir = tmp.resolve("state");
        ProcessorConfig pc = ProcessorConfig.defaults(kafka, layout, stateDir)
            .withStreamThreads(s.streamThreads())
            .withCommitIntervalMs(s.commitIntervalMs())
            .withEarlyCommitQuietMs(s.earlyCommitQuietMs())
            .withWatermarkIntervalMs(s.watermarkIntervalMs())
            .withInMemoryStores(s.inMemoryStores())
            // As up runs it: every command carries a session ticket and a MAC that the processor checks.
            .withAuthentication(io.capstan.gateway.security.ComponentCertificates.authentication(tmp.resolve("pki")));
        io.capstan.gateway.security.ComponentCertificates.install(tmp.resolve("pki"));
        progress.printf("bench: starting command processor (partitions=%d, threads=%d, commit=%d ms, stores=%s)%n",
            partitions, s.streamThreads(), s.commitIntervalMs(), s.inMemoryStores() ? "in-memory" : "RocksDB");
        processor = new CommandProcessor(pc, registry);
        processor.start();
        processor.awaitRunning(Duration.ofSeconds(120));
      }
      for (int i = 0; i < s.clientInstances(); i++) {
        clients.add(CommandClient.unshared(CommandClientConfig.defaults(kafka, layout, "bench-" + i), registry));
      }
      ensureNamespace(clients.get(0));

      long start = System.nanoTime();
      if (s.warmupSeconds() > 0) {
        progress.println("bench: warming up for " + s.warmupSeconds() + " s (not measured)");
        Phase warm = new Phase("warm", Integer.MAX_VALUE, clients, start + TimeUnit.SECONDS.toNanos(s.warmupSeconds()));
        warm.runToEnd();
        progress.printf("bench: warm-up done: %d creates, %.0f/s%n", warm.accepted.get(), warm.accepted.get() / warm.seconds());
      }
      progress.println("bench: measuring " + s.objects() + " creates with " + s.clients() + " concurrent clients");
      Phase measured = new Phase("obj", s.objects(), clients, Long.MAX_VALUE);
      CpuAccount cpu = CpuAccount.start();
      measured.runToEnd();
      CpuAccount.Spent spent = cpu.spent();
      progress.print(spent.table(8));
      Histogram h = measured.histogram();
      double secs = measured.seconds();
      String replay = "skipped";
      if (s.verify()) {
        progress.println("bench: replaying capstan.events and comparing with the state tables");
        replay = verify(kafka, layout);
        progress.println("bench: " + replay);
      }
      long sent = measured.accepted.get() + measured.rejected.get() + measured.timeouts.get();
      return new Result(s, measured.accepted.get(), measured.rejected.get(), measured.timeouts.get(),
          measured.accepted.get() / secs, spent.msPer(sent), spent.cores(), h.getValueAtPercentile(50) / 1000.0,
          h.getValueAtPercentile(99) / 1000.0, h.getValueAtPercentile(99.9) / 1000.0, h.getMaxValue() / 1000.0, secs, replay,
          spent.jitCores(), spent.gcMillis());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      for (CommandClient c : clients) {
        c.close();
      }
      if (processor != null) {
        processor.close();
        io.capstan.logschema.session.ComponentSessions.clear();
      }
      if (broker != null) {
        broker.close();
      }
      if (tmp != null) {
        deleteTree(tmp);
      }
    }
  }

  private static String verify(Map<String, Object> kafka, TopicLayout layout) throws InterruptedException {
    for (int attempt = 1; ; attempt++) {
      Replay.Result r = Replay.fromEvents(kafka, layout, Long.MAX_VALUE);
      Replay.Comparison c = Replay.compare(r.state(), Replay.liveState(kafka, layout));
      if (c.matches()) {
        return "verified objects=" + r.state().size() + " events=" + r.events();
      }
      if (attempt == 3) {
        return "MISMATCH only_in_replay=" + c.onlyInReplay().size() + " only_in_live=" + c.onlyInLive().size()
            + " differing=" + c.differing().size();
      }
      Thread.sleep(1000);
    }
  }

  private void ensureNamespace(CommandClient client) throws InterruptedException {
    Namespace ns = Namespace.newBuilder().setMetadata(ObjectMeta.newBuilder().setName(NAMESPACE).build()).build();
    CommandResult r = client.create(ns).join();
    if (r instanceof CommandResult.Rejected rej && !"AlreadyExists".equals(rej.status().getReason())) {
      throw new IllegalStateException("creating namespace " + NAMESPACE + ": " + rej.status().getMessage());
    }
    // namespaced creates check the namespace through a global view that trails by a moment
    Thread.sleep(500);
  }

  /** One closed-loop phase: C callers, each with one create in flight, until N are done or time is up. */
  private final class Phase {
    final String prefix;
    final int total;
    final List<CommandClient> clients;
    final long deadline;
    final AtomicInteger next = new AtomicInteger();
    final AtomicLong accepted = new AtomicLong();
    final AtomicLong rejected = new AtomicLong();
    final AtomicLong timeouts = new AtomicLong();
    final Recorder latency = new Recorder(3);
    final CountDownLatch done;
    long startNanos;
    long endNanos;
    volatile String firstRejection;

    Phase(String prefix, int total, List<CommandClient> clients, long deadline) {
      this.prefix = prefix;
      this.total = total;
      this.clients = clients;
      this.deadline = deadline;
      this.done = new CountDownLatch(s.clients());
    }

    void runToEnd() throws InterruptedException {
      startNanos = System.nanoTime();
      for (int c = 0; c < s.clients(); c++) {
        sendNext(c);
      }
      long lastReport = System.nanoTime();
      long lastCount = 0;
      while (!done.await(2, TimeUnit.SECONDS)) {
        long now = System.nanoTime();
        long count = accepted.get() + rejected.get();
        progress.printf(Locale.ROOT, "bench: %s %d done, %.0f/s%n", prefix, count, (count - lastCount) * 1e9 / (now - lastReport));
        lastReport = now;
        lastCount = count;
      }
      endNanos = System.nanoTime();
      if (firstRejection != null) {
        progress.println("bench: first rejection: " + firstRejection);
      }
    }

    double seconds() {
      return (endNanos - startNanos) / 1e9;
    }

    Histogram histogram() {
      return latency.getIntervalHistogram();
    }

    void sendNext(int caller) {
      int i = next.getAndIncrement();
      if (i >= total || System.nanoTime() > deadline) {
        done.countDown();
        return;
      }
      CommandClient client = clients.get(caller % clients.size());
      long t0 = System.nanoTime();
      CompletableFuture<CommandResult> f = client.create(object(prefix, i));
      f.whenComplete((r, err) -> {
        latency.recordValue(Math.max(1, (System.nanoTime() - t0) / 1000));
        if (err != null) {
          timeouts.incrementAndGet();
          if (firstRejection == null) {
            firstRejection = String.valueOf(err);
          }
        } else if (r instanceof CommandResult.Accepted) {
          accepted.incrementAndGet();
        } else {
          rejected.incrementAndGet();
          if (firstRejection == null && r instanceof CommandResult.Rejected rej) {
            firstRejection = rej.status().getReason() + ": " + rej.status().getMessage();
          }
        }
        sendNext(caller);
      });
    }
  }

  /** Even indexes are ConfigMaps, odd ones Pods; both about the size a real one has. */
  static SpecificRecord object(String prefix, int i) {
    String name = prefix + "-" + i;
    Map<String, String> labels = Map.of("app", "bench", "tier", i % 3 == 0 ? "web" : "worker");
    ObjectMeta meta = ObjectMeta.newBuilder().setName(name).setNamespace(NAMESPACE).setLabels(labels).build();
    if (i % 2 == 0) {
      Map<String, String> data = new LinkedHashMap<>();
      data.put("app.properties", "server.port=8080\nserver.threads=16\nlog.level=info\n");
      data.put("feature.flags", "alpha=false,beta=true");
      data.put("index", Integer.toString(i));
      return ConfigMap.newBuilder().setMetadata(meta).setData(data).build();
    }
    Container c = Container.newBuilder().setName("main").setImage("capstan.local/busybox:latest")
        .setCommand(List.of("sh", "-c", "echo hello from " + name + "; sleep 3600")).build();
    // A scheduler nobody runs: against a whole cluster (--kafka), the bench measures the write
    // path, not 50,000 pods being scheduled and started on this machine.
    PodSpec spec = PodSpec.newBuilder().setContainers(List.of(c)).setRestartPolicy("Always")
        .setSchedulerName(UNSCHEDULED).build();
    return Pod.newBuilder().setMetadata(meta).setSpec(spec).build();
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // temp dir; best effort
    }
  }
}
