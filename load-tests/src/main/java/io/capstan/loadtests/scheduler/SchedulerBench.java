package io.capstan.loadtests.scheduler;

import io.capstan.api.Node;
import io.capstan.api.Pod;
import io.capstan.loadtests.report.CpuAccount;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.scheduler.config.SchedulerConfig;
import io.capstan.scheduler.service.SchedulerInstance;
import io.capstan.stateviews.bootstrap.SystemNamespaces;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.InformerConfig;
import io.capstan.stateviews.informer.ResourceEventHandler;
import io.capstan.stateviews.informer.SharedInformers;
import io.capstan.stateviews.kafka.EmbeddedKafkaBroker;
import io.capstan.stateviews.kafka.TopicAdmin;
import io.capstan.stateviews.processor.CommandProcessor;
import io.capstan.stateviews.processor.ProcessorConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * kube-scheduler's scheduler_perf SchedulingBasic, end to end through Kafka: N nodes (4 cpu,
 * 32Gi, 110 pods) created through the command client, 1,000 pods already placed (scheduled by
 * the scheduler under test, which is also its JIT warm-up), then M pods (100m, 500Mi) created
 * through the command client and counted from their bind events (the Pod state table seen by an
 * informer). The {@code anti-affinity} variant gives the measured pods a required hostname
 * anti-affinity within groups of 100 and a zone topology spread (maxSkew 1, DoNotSchedule).
 */
public final class SchedulerBench {
  public static final int DEFAULT_NODES = 5000;
  public static final int DEFAULT_PODS = 10000;
  public static final int DEFAULT_INIT_PODS = 1000;
  /**
   * The most time spent warming up before anything is measured: rounds of {@link #WARMUP_ROUND}
   * pods scheduled and deleted again, until the JIT has settled, so the measured pods meet
   * compiled code, as in a scheduler (and broker, and processor) that has been running. In a
   * fresh JVM on two cores, C2 still compiled the Kafka client's and broker's hot paths for the
   * first time a minute in, on one of the two cores, through the whole measured phase. Not part
   * of the measured workload: afterwards the cluster holds the same 1,000 placed pods.
   */
  public static final int DEFAULT_WARMUP_SECONDS = 240;
  static final int WARMUP_ROUND = 2000;
  /** Settled: the JIT compiled for less than this share of the last round's wall time. */
  static final double JIT_SETTLED = 0.10;
  static final String WARMUP_NAMESPACE = "warmup";
  static final int ZONES = 10;
  static final int GROUP = 100;
  /** Creates in flight: enough to keep the processor busy, few enough that none waits out the client timeout. */
  private static final int MAX_IN_FLIGHT = 500;

  /** How the bench runs. */
  public record Settings(int nodes, int pods, int initPods, String variant, int partitions, Map<String, Object> kafkaExtra,
      int streamThreads, long commitIntervalMs, int warmupSeconds) {
    public Settings {
      if (nodes <= 0 || pods <= 0 || initPods < 0 || partitions <= 0 || warmupSeconds < 0) {
        throw new IllegalArgumentException("--nodes, --pods and --partitions must be positive, --init-pods and"
            + " --warmup-seconds not negative");
      }
      if (streamThreads <= 0 || commitIntervalMs <= 0) {
        throw new IllegalArgumentException("--stream-threads and --commit-interval-ms must be positive");
      }
      if (!variant.equals("basic") && !variant.equals("anti-affinity")) {
        throw new IllegalArgumentException("--variant must be basic or anti-affinity, not " + variant);
      }
    }

    /** With the command processor's defaults (what {@code capstan up} runs). */
    public Settings(int nodes, int pods, int initPods, String variant, int partitions, Map<String, Object> kafkaExtra) {
      this(nodes, pods, initPods, variant, partitions, kafkaExtra, ProcessorConfig.DEFAULT_STREAM_THREADS,
          ProcessorConfig.DEFAULT_COMMIT_INTERVAL_MS, 0);
    }
  }

  /** The figures: end-to-end throughput and create-to-bind latency, plus the scheduler's own attempt time. */
  public record Result(Settings settings, int bound, double podsPerSecond, double p50Ms, double p99Ms, double maxMs,
      double attemptMeanMs, double attemptMaxMs, double seconds, double algorithmPodsPerSecond, double cpuMsPerPod,
      double cpuCores, double schedulerCpuMsPerPod, double processorCpuMsPerPod, double warmupSeconds,
      double jitCores) {
    public String jsonLine() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("bench", "scheduler");
      m.put("variant", settings.variant());
      m.put("nodes", settings.nodes());
      m.put("pods", settings.pods());
      m.put("init_pods", settings.initPods());
      m.put("warmup_s", Math.round(warmupSeconds * 10) / 10.0);
      m.put("jit_cores", Math.round(jitCores * 100) / 100.0);
      m.put("stream_threads", settings.streamThreads());
      m.put("commit_interval_ms", settings.commitIntervalMs());
      m.put("bound", bound);
      m.put("pods_per_s", Math.round(podsPerSecond * 10) / 10.0);
      m.put("p50_ms", Math.round(p50Ms * 10) / 10.0);
      m.put("p99_ms", Math.round(p99Ms * 10) / 10.0);
      m.put("max_ms", Math.round(maxMs * 10) / 10.0);
      m.put("attempt_mean_ms", Math.round(attemptMeanMs * 1000) / 1000.0);
      m.put("attempt_max_ms", Math.round(attemptMaxMs * 100) / 100.0);
      m.put("seconds", Math.round(seconds * 100) / 100.0);
      m.put("algorithm_pods_per_s", Math.round(algorithmPodsPerSecond));
      // The whole process (broker, processor, scheduler, bench): robust to a busy machine where pods_per_s is not.
      m.put("cpu_ms_per_pod", Math.round(cpuMsPerPod * 100) / 100.0);
      m.put("cpu_cores", Math.round(cpuCores * 100) / 100.0);
      // The scheduling thread's and the processor's stream threads' own CPU per pod: what each stage costs.
      m.put("scheduler_cpu_ms_per_pod", Math.round(schedulerCpuMsPerPod * 1000) / 1000.0);
      m.put("processor_cpu_ms_per_pod", Math.round(processorCpuMsPerPod * 1000) / 1000.0);
      StringBuilder sb = new StringBuilder("{");
      m.forEach((k, v) -> {
        if (sb.length() > 1) {
          sb.append(',');
        }
        sb.append('"').append(k).append("\":");
        sb.append(v instanceof String ? "\"" + v + "\"" : v);
      });
      return sb.append('}').toString();
    }
  }

  private final Settings s;
  private final PrintStream progress;
  private double baselineCpuMsPerPod;

  public SchedulerBench(Settings settings, PrintStream progress) {
    this.s = settings;
    this.progress = progress;
  }

  /**
   * The baseline in the same run: the same nodes and pods through the scheduler's algorithm and
   * cache alone (snapshot, filter, score, assume), no Kafka. The gap to the end-to-end figure is
   * what the write path (create, bind, event commands and their state records) costs.
   */
  public double algorithmPodsPerSecond() throws Exception {
    io.capstan.scheduler.cache.SchedulerCache cache = new io.capstan.scheduler.cache.SchedulerCache();
    for (int i = 0; i < s.nodes(); i++) {
      cache.addNode(node(i));
    }
    io.capstan.scheduler.algorithm.ScheduleAlgorithm algorithm = new io.capstan.scheduler.algorithm.ScheduleAlgorithm(
        io.capstan.scheduler.config.PluginRegistry.profile(SchedulerConfig.defaults()), 0, new java.util.Random(1));
    int total = s.initPods() + s.pods();
    long start = 0;
    java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
    long cpuStart = 0;
    for (int i = 0; i < total; i++) {
      if (i == s.initPods()) {
        start = System.nanoTime();
        cpuStart = threads.getCurrentThreadCpuTime();
      }
      String name = i < s.initPods() ? "init-" + i : "pod-" + (i - s.initPods());
      Pod p = pod(name, i < s.initPods() ? i : i - s.initPods());
      p.getMetadata().setUid(name);
      io.capstan.scheduler.framework.PodInfo info = io.capstan.scheduler.framework.PodInfo.of(p);
      cache.assume(info, algorithm.schedule(info, cache.snapshot()).node());
    }
    baselineCpuMsPerPod = (threads.getCurrentThreadCpuTime() - cpuStart) / 1e6 / s.pods();
    return s.pods() / ((System.nanoTime() - start) / 1e9);
  }

  /**
   * The scheduling thread's CPU per pod in the last {@link #algorithmPodsPerSecond} run: unlike
   * pods per second it hardly moves when other processes share the machine.
   */
  public double baselineCpuMsPerPod() {
    return baselineCpuMsPerPod;
  }

  public Result run() throws Exception {
    progress.println("bench: baseline: the same pods through the algorithm and cache alone, in process");
    double baseline = algorithmPodsPerSecond();
    progress.printf("bench: baseline %.0f pods/s, %.3f ms of CPU per pod%n", baseline, baselineCpuMsPerPod);
    Result r = endToEnd();
    return new Result(r.settings(), r.bound(), r.podsPerSecond(), r.p50Ms(), r.p99Ms(), r.maxMs(), r.attemptMeanMs(),
        r.attemptMaxMs(), r.seconds(), baseline, r.cpuMsPerPod(), r.cpuCores(), r.schedulerCpuMsPerPod(),
        r.processorCpuMsPerPod(), r.warmupSeconds(), r.jitCores());
  }

  private Result endToEnd() throws Exception {
    Path tmp = Files.createTempDirectory("capstan-bench-scheduler-");
    MeterRegistry registry = new SimpleMeterRegistry();
    progress.println("bench: starting a fresh embedded Kafka broker in " + tmp);
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Config.of(tmp.resolve("kafka"), 0))) {
      Map<String, Object> kafka = new LinkedHashMap<>(s.kafkaExtra());
      kafka.put("bootstrap.servers", broker.bootstrap());
      TopicLayout layout = new TopicLayout(TopicLayout.DEFAULT_PREFIX);
      TopicAdmin.ensureTopics(kafka, layout, s.partitions(), (short) 1);
      ProcessorConfig pc = ProcessorConfig.defaults(kafka, layout, tmp.resolve("state")).withInMemoryStores(true)
          .withStreamThreads(s.streamThreads()).withCommitIntervalMs(s.commitIntervalMs());
      try (CommandProcessor processor = new CommandProcessor(pc, registry);
          CommandClient client = CommandClient.unshared(CommandClientConfig.defaults(kafka, layout, "bench"), registry);
          SharedInformers informers = new SharedInformers(InformerConfig.defaults(kafka, layout, "bench"), registry)) {
        processor.start();
        processor.awaitRunning(Duration.ofMinutes(2));
        SystemNamespaces.ensure(client, Duration.ofMinutes(1));

        Informer<Pod> pods = informers.informerFor(Kinds.POD, Pod.class);
        Map<String, Long> sentAt = new ConcurrentHashMap<>();
        Histogram latency = new ConcurrentHistogram(3);
        AtomicInteger bound = new AtomicInteger();
        AtomicLong lastBind = new AtomicLong();
        pods.addHandler(new ResourceEventHandler<>() {
          @Override
          public void onUpdate(Pod old, Pod pod) {
            if (old.getSpec().getNodeName() == null && pod.getSpec().getNodeName() != null) {
              long now = System.nanoTime();
              Long sent = sentAt.remove(pod.getMetadata().getName());
              if (sent != null) {
                latency.recordValue(Math.max(1, (now - sent) / 1000));
                bound.incrementAndGet();
                lastBind.set(now);
              }
            }
          }
        });
        informers.start();
        informers.awaitSynced(Duration.ofMinutes(1));

        progress.printf("bench: creating %d nodes%n", s.nodes());
        long t0 = System.nanoTime();
        send(client, s.nodes(), i -> node(i));
        progress.printf("bench: %d nodes in %.1f s%n", s.nodes(), (System.nanoTime() - t0) / 1e9);

        try (SchedulerInstance scheduler = new SchedulerInstance(kafka, layout, SchedulerConfig.defaults(), registry)) {
          scheduler.start(Duration.ofMinutes(2));
          while (scheduler.service().cache().nodeCount() < s.nodes()) {
            Thread.sleep(20);
          }
          progress.printf("bench: scheduler has %d nodes%n", s.nodes());
          double warmedUp = s.warmupSeconds() > 0 ? warmUp(client, scheduler, sentAt, bound) : 0;
          progress.printf("bench: placing %d initial pods (not measured)%n", s.initPods());
          long w0 = System.nanoTime();
          for (int i = 0; i < s.initPods(); i++) {
            sentAt.put("init-" + i, System.nanoTime());
          }
          send(client, s.initPods(), i -> pod("init-" + i, i));
          awaitBound(bound, s.initPods(), Duration.ofMinutes(5));
          progress.printf("bench: %d initial pods bound in %.1f s%n", s.initPods(), (System.nanoTime() - w0) / 1e9);
          latency.reset();
          bound.set(0);
          Timer attempts = registry.find("capstan.scheduler.scheduling.duration").timer();
          long attemptsBefore = attempts.count();
          double attemptTimeBefore = attempts.totalTime(TimeUnit.MILLISECONDS);

          progress.printf("bench: creating %d pods (%s) and counting their binds%n", s.pods(), s.variant());
          long start = System.nanoTime();
          CpuAccount cpu = CpuAccount.start();
          long jitBefore = CpuAccount.jitMillis();
          Map<String, Double> countsBefore = writePathCounts(registry);
          StageReport stages = StageReport.start(registry, scheduler.service().queue(), bound, progress);
          for (int i = 0; i < s.pods(); i++) {
            sentAt.put("pod-" + i, 0L);
          }
          send(client, s.pods(), i -> {
            Pod p = pod("pod-" + i, i);
            sentAt.put("pod-" + i, System.nanoTime());
            return p;
          });
          awaitBound(bound, s.pods(), Duration.ofMinutes(10));
          stages.close();
          CpuAccount.Spent spent = cpu.spent();
          progress.print(spent.table(16));
          Map<String, Double> countsAfter = writePathCounts(registry);
          countsAfter.forEach((k, v) -> progress.printf("bench:   %8.0f  %s%n", v - countsBefore.getOrDefault(k, 0.0), k));
          double jitCores = (CpuAccount.jitMillis() - jitBefore) / 1e3 / (spent.wallNanos() / 1e9);
          double secs = (lastBind.get() - start) / 1e9;
          long n = attempts.count() - attemptsBefore;
          double attemptMean = n == 0 ? 0 : (attempts.totalTime(TimeUnit.MILLISECONDS) - attemptTimeBefore) / n;
          return new Result(s, bound.get(), bound.get() / secs, latency.getValueAtPercentile(50) / 1000.0,
              latency.getValueAtPercentile(99) / 1000.0, latency.getMaxValue() / 1000.0, attemptMean,
              attempts.max(TimeUnit.MILLISECONDS), secs, 0, spent.msPer(bound.get()), spent.cores(),
              spent.of("scheduler-loop") / 1e6 / bound.get(), spent.of("capstan.processor-StreamThread-#") / 1e6 / bound.get(),
              warmedUp, jitCores);
        }
      }
    } finally {
      deleteTree(tmp);
    }
  }

  /**
   * The JIT warm-up: rounds of {@link #WARMUP_ROUND} pods in their own namespace through the
   * whole path (create, schedule, bind, event), each force-deleted again so the scheduler's cache
   * is empty before the initial pods, until the JIT compiled for less than {@link #JIT_SETTLED}
   * of a round or {@link Settings#warmupSeconds} have passed. Returns the seconds it took.
   */
  private double warmUp(CommandClient client, SchedulerInstance scheduler, Map<String, Long> sentAt,
      AtomicInteger bound) throws InterruptedException {
    long w0 = System.nanoTime();
    long deadline = w0 + TimeUnit.SECONDS.toNanos(s.warmupSeconds());
    int size = Math.min(WARMUP_ROUND, s.pods()); // what fits wherever the measured pods fit
    progress.printf("bench: warm-up: rounds of %d pods scheduled and deleted again until the JIT settles (at most"
        + " %d s, not measured)%n", size, s.warmupSeconds());
    try {
      client.create(io.capstan.api.Namespace.newBuilder().setMetadata(io.capstan.api.ObjectMeta.newBuilder()
          .setName(WARMUP_NAMESPACE).build()).build()).get(1, TimeUnit.MINUTES);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("could not create namespace " + WARMUP_NAMESPACE + ": " + e, e);
    }
    io.capstan.log.DeleteOptions now = io.capstan.log.DeleteOptions.newBuilder().setGracePeriodSeconds(0L).build();
    for (int round = 0; System.nanoTime() < deadline; round++) {
      long r0 = System.nanoTime();
      long jit0 = CpuAccount.jitMillis();
      String prefix = "warm-" + round + "-";
      for (int i = 0; i < size; i++) {
        sentAt.put(prefix + i, System.nanoTime());
      }
      send(client, size, i -> {
        Pod p = pod(prefix + i, i);
        p.getMetadata().setNamespace(WARMUP_NAMESPACE);
        return p;
      });
      awaitBound(bound, size, Duration.ofMinutes(5));
      bound.set(0);
      Semaphore window = new Semaphore(MAX_IN_FLIGHT);
      for (int i = 0; i < size; i++) {
        window.acquire();
        client.delete(Kinds.POD, WARMUP_NAMESPACE, prefix + i, now).whenComplete((r, e) -> window.release());
      }
      window.acquire(MAX_IN_FLIGHT);
      long gone = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      while (scheduler.service().cache().podCount() > 0) {
        if (System.nanoTime() > gone) {
          throw new IllegalStateException("the scheduler still holds " + scheduler.service().cache().podCount()
              + " warm-up pods 2 minutes after their deletion");
        }
        Thread.sleep(20);
      }
      double jitShare = (CpuAccount.jitMillis() - jit0) / 1e3 / ((System.nanoTime() - r0) / 1e9);
      progress.printf("bench: warm-up round %d: %.1f s, the JIT compiled %.0f%% of it%n", round + 1,
          (System.nanoTime() - r0) / 1e9, jitShare * 100);
      if (jitShare < JIT_SETTLED) {
        break;
      }
    }
    double took = (System.nanoTime() - w0) / 1e9;
    progress.printf("bench: warm-up done in %.1f s%n", took);
    return took;
  }

  /**
   * What the write path did, to read next to the CPU table: commands by kind, op and result, and
   * the processor's transaction commits (each flushes and writes a marker to every partition it touched).
   */
  static Map<String, Double> writePathCounts(MeterRegistry registry) {
    Map<String, Double> m = new java.util.TreeMap<>();
    for (io.micrometer.core.instrument.Meter meter : registry.getMeters()) {
      String name = meter.getId().getName();
      double v;
      if (meter instanceof io.micrometer.core.instrument.Counter c) {
        v = c.count();
      } else if (meter instanceof io.micrometer.core.instrument.FunctionCounter c) {
        v = c.count();
      } else {
        continue;
      }
      if (name.equals("capstan.processor.commands")) {
        m.merge("processor commands " + meter.getId().getTag("kind") + " " + meter.getId().getTag("op") + " "
            + meter.getId().getTag("result"), v, Double::sum);
      } else if (name.equals("kafka.stream.thread.commit.total") || name.equals("kafka.stream.thread.poll.total")) {
        m.merge("processor " + name.substring("kafka.stream.thread.".length()), v, Double::sum);
      }
    }
    return m;
  }

  private void awaitBound(AtomicInteger bound, int n, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    long lastReport = System.nanoTime();
    while (bound.get() < n) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("only " + bound.get() + " of " + n + " pods bound within " + timeout);
      }
      if (System.nanoTime() - lastReport > 5_000_000_000L) {
        progress.printf("bench: %d / %d bound%n", bound.get(), n);
        lastReport = System.nanoTime();
      }
      Thread.sleep(5);
    }
  }

  /** Creates n objects with at most MAX_IN_FLIGHT unanswered; every one must be accepted. */
  private static void send(CommandClient client, int n, java.util.function.IntFunction<org.apache.avro.specific.SpecificRecord> make)
      throws InterruptedException {
    Semaphore window = new Semaphore(MAX_IN_FLIGHT);
    List<String> refused = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int i = 0; i < n; i++) {
      window.acquire();
      CompletableFuture<CommandResult> f = client.create(make.apply(i));
      f.whenComplete((r, e) -> {
        window.release();
        if (e != null) {
          refused.add(e.toString());
        } else if (r instanceof CommandResult.Rejected rej) {
          refused.add(rej.status().getMessage());
        }
      });
    }
    window.acquire(MAX_IN_FLIGHT);
    if (!refused.isEmpty()) {
      throw new IllegalStateException(refused.size() + " creates refused, e.g. " + refused.get(0));
    }
  }

  private static final Node NODE_TEMPLATE = KubeJson.<Node>fromText(Kinds.NODE, """
      metadata: {name: template, labels: {}}
      status: {allocatable: {cpu: "4", memory: 32Gi, pods: "110"}, capacity: {cpu: "4", memory: 32Gi, pods: "110"}}
      """).object();
  private static final Pod POD_TEMPLATE = KubeJson.<Pod>fromText(Kinds.POD, """
      metadata: {name: template, namespace: default}
      spec:
        containers: [{name: pause, image: registry.k8s.io/pause:3.10, resources: {requests: {cpu: 100m, memory: 500Mi}}}]
      """).object();
  private static final Pod SPREAD_TEMPLATE = KubeJson.<Pod>fromText(Kinds.POD, """
      metadata: {name: template, namespace: default}
      spec:
        containers: [{name: pause, image: registry.k8s.io/pause:3.10, resources: {requests: {cpu: 100m, memory: 500Mi}}}]
        affinity:
          podAntiAffinity:
            requiredDuringSchedulingIgnoredDuringExecution:
            - {labelSelector: {matchLabels: {group: GROUP}}, topologyKey: kubernetes.io/hostname}
        topologySpreadConstraints:
        - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {group: GROUP}}}
      """).object();

  /** node-default.yaml of scheduler_perf: 4 cpu, 32Gi, 110 pods; spread over zones for the spread variant. */
  static Node node(int i) {
    String name = "node-" + i;
    Node n = Node.newBuilder(NODE_TEMPLATE).build();
    n.getMetadata().setName(name);
    n.getMetadata().setLabels(Map.of("kubernetes.io/hostname", name, "topology.kubernetes.io/zone", "zone-" + (i % ZONES)));
    return n;
  }

  /** pod-default.yaml of scheduler_perf: 100m cpu, 500Mi; with anti-affinity and spread in that variant. */
  Pod pod(String name, int i) {
    String group = "g" + (i / GROUP);
    // the measured pods and the warm-up's (which take the same code paths); the initial ones are plain
    boolean spread = s.variant().equals("anti-affinity") && !name.startsWith("init-");
    // Copies of parsed templates: parsing YAML per pod would cost more than scheduling it.
    Pod p = Pod.newBuilder(spread ? SPREAD_TEMPLATE : POD_TEMPLATE).build();
    p.getMetadata().setName(name);
    p.getMetadata().setLabels(Map.of("group", group));
    if (spread) {
      p.getSpec().getAffinity().getPodAntiAffinity().getRequiredDuringSchedulingIgnoredDuringExecution().get(0)
          .getLabelSelector().setMatchLabels(Map.of("group", group));
      p.getSpec().getTopologySpreadConstraints().get(0).getLabelSelector().setMatchLabels(Map.of("group", group));
    }
    return p;
  }

  private static void deleteTree(Path dir) {
    try (var walk = Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
