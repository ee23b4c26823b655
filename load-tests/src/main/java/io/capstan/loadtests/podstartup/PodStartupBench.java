package io.capstan.loadtests.podstartup;

import io.capstan.api.Container;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodSpec;
import io.capstan.loadtests.report.CpuAccount;
import io.capstan.log.DeleteOptions;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.nodeagent.NodeAgent;
import io.capstan.nodeagent.NodeAgentConfig;
import io.capstan.nodeagent.image.BusyboxImage;
import io.capstan.nodeagent.image.ImageStore;
import io.capstan.nodeagent.runtime.ImageInfo;
import io.capstan.nodeagent.runtime.runc.RuncRuntime;
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
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pod startup latency, the Kubernetes SLI: pods (each running {@code sleep}) created through the
 * command client at a steady rate and bound to the local runc node; the latency of each is from
 * the create being sent to a watch seeing it Running. In the same run, the floor: a bare
 * {@code runc run} of a busybox bundle. Everything runs in this process on a fresh embedded
 * broker.
 */
public final class PodStartupBench {
  private static final Logger log = LoggerFactory.getLogger(PodStartupBench.class);
  static final String NODE = "bench-node";

  /**
   * @param pods          pods to start and measure
   * @param perSecond     creation rate
   * @param floorRuns     bare runc runs for the floor
   * @param warmupSeconds before the measured pods, rounds of {@link #WARMUP_ROUND} pods are
   *                      started and deleted again at the same rate for about this long (0: none).
   *                      The JIT compiles the broker's, processor's and agent's hot paths in the
   *                      first minute of a fresh JVM, on the same two cores the containers start
   *                      on; measured cold, {@code runc create} waited seconds for a CPU
   *                      (p50 10–22 s), after 60 s the p99 was still 4.2 s, after 120 s 0.6 s.
   */
  public record Settings(int pods, double perSecond, int floorRuns, int warmupSeconds) {
    public static final int DEFAULT_PODS = 100;
    public static final double DEFAULT_RATE = 5;
    public static final int DEFAULT_FLOOR_RUNS = 10;
    public static final int DEFAULT_WARMUP_SECONDS = 120;

    public Settings(int pods, double perSecond, int floorRuns) {
      this(pods, perSecond, floorRuns, 0);
    }
  }

  static final int WARMUP_ROUND = 20;
  /** Per pod: nanoseconds from the create being due to the create's and the bind's answers. */
  static final Map<String, Long> TIMELINE = new ConcurrentHashMap<>();

  /**
   * The figures of one run.
   *
   * @param cpuMsPerPod this JVM's CPU (broker, processor, node agent, bench) from the first measured
   *                    create to the last measured pod Running, per pod; runc, the container
   *                    supervisors and the containers are processes of their own and not counted
   * @param cpuCores    this JVM's average busy cores over the same time
   */
  public record Result(int pods, double p50Ms, double p99Ms, double runcFloorMs, double cpuMsPerPod, double cpuCores,
      double warmupSeconds) {
    public String json() {
      return String.format(java.util.Locale.ROOT,
          "{\"bench\":\"pod-startup\",\"pods\":%d,\"p50_ms\":%.1f,\"p99_ms\":%.1f,\"runc_floor_ms\":%.1f,"
              + "\"cpu_ms_per_pod\":%.2f,\"cpu_cores\":%.2f,\"warmup_s\":%.1f}", pods, p50Ms, p99Ms, runcFloorMs,
          cpuMsPerPod, cpuCores, warmupSeconds);
    }
  }

  private PodStartupBench() {}

  public static Result run(Settings s) throws Exception {
    Path work = Files.createTempDirectory("capstan-bench-pods-");
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    TopicLayout layout = TopicLayout.defaults();
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Config.of(work.resolve("kafka"), 0))) {
      Map<String, Object> kafka = Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap());
      TopicAdmin.ensureTopics(kafka, layout, 2, (short) 1);
      double floor = runcFloor(work, s.floorRuns());
      log.info("runc floor (bare runc run, p50 of {}): {} ms", s.floorRuns(), floor);
      try (CommandProcessor processor = new CommandProcessor(ProcessorConfig.defaults(kafka, layout, work.resolve("state")),
              registry)) {
        processor.start();
        processor.awaitRunning(Duration.ofMinutes(2));
        try (CommandClient client = CommandClient.unshared(CommandClientConfig.defaults(kafka, layout, "bench-pods"), registry);
            SharedInformers informers = new SharedInformers(InformerConfig.defaults(kafka, layout, "bench-pods"), registry);
            NodeAgent agent = new NodeAgent(NodeAgentConfig.defaults(kafka, layout, NODE, work.resolve("node"),
                NodeAgentConfig.RuntimeKind.RUNC).withPort(0), registry)) {
          SystemNamespaces.ensure(client, Duration.ofMinutes(1));
          agent.start(Duration.ofMinutes(2));
          Map<String, Long> sentAt = new ConcurrentHashMap<>();
          List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
          Informer<Pod> pods = informers.informerFor(Kinds.POD, Pod.class);
          pods.addHandler(new ResourceEventHandler<>() {
            @Override
            public void onUpdate(Pod old, Pod p) {
              Long t0 = sentAt.get(p.getMetadata().getName());
              if (t0 != null && p.getStatus() != null && "Running".equals(p.getStatus().getPhase())
                  && sentAt.remove(p.getMetadata().getName()) != null) {
                latencies.add((System.nanoTime() - t0) / 1e6);
                TIMELINE.put(p.getMetadata().getName() + "/running", System.nanoTime() - t0);
              }
            }
          });
          informers.start();
          informers.awaitSynced(Duration.ofMinutes(1));
          long w0 = System.nanoTime();
          for (int round = 0; System.nanoTime() - w0 < TimeUnit.SECONDS.toNanos(s.warmupSeconds()); round++) {
            startAll(client, "warm-" + round + "-", WARMUP_ROUND, s.perSecond(), sentAt, latencies);
            deleteAll(client, agent, registry, "warm-" + round + "-", WARMUP_ROUND);
            log.info("warm-up round {}: {} pods started and deleted ({} s so far, not measured)", round + 1,
                WARMUP_ROUND, (System.nanoTime() - w0) / 1_000_000_000L);
          }
          double warmedUp = s.warmupSeconds() == 0 ? 0 : (System.nanoTime() - w0) / 1e9;
          latencies.clear();
          CpuAccount cpu = CpuAccount.start();
          startAll(client, "sleep-", s.pods(), s.perSecond(), sentAt, latencies);
          CpuAccount.Spent spent = cpu.spent();
          log.info("the measured pods' CPU:\n{}", spent.table(8));
          List<String> slowest = new ArrayList<>();
          for (int i = 0; i < s.pods(); i++) {
            slowest.add("sleep-" + i);
          }
          slowest.sort((a, b) -> Long.compare(TIMELINE.getOrDefault(b + "/running", 0L),
              TIMELINE.getOrDefault(a + "/running", 0L)));
          for (String name : slowest.subList(0, Math.min(5, slowest.size()))) {
            log.info("slow pod {}: created +{} ms, bound +{} ms, Running seen +{} ms", name,
                TIMELINE.getOrDefault(name + "/created", -1L) / 1_000_000, TIMELINE.getOrDefault(name + "/bound", -1L) / 1_000_000,
                TIMELINE.getOrDefault(name + "/running", -1L) / 1_000_000);
          }
          for (io.micrometer.core.instrument.Timer t : registry.find("capstan_node_agent_runtime_operation_seconds").timers()) {
            log.info("runtime operation {}: {} calls, mean {} ms, max {} ms in the last two minutes",
                t.getId().getTags(), t.count(), Math.round(t.mean(TimeUnit.MILLISECONDS)),
                Math.round(t.max(TimeUnit.MILLISECONDS)));
          }
          deleteAll(client, agent, registry, "sleep-", s.pods());
          List<Double> sorted = new ArrayList<>(latencies);
          Collections.sort(sorted);
          return new Result(s.pods(), percentile(sorted, 0.50), percentile(sorted, 0.99), floor,
              spent.msPer(s.pods()), spent.cores(), warmedUp);
        }
      }
    } finally {
      deleteTree(work);
    }
  }

  /**
   * Creates and binds {@code n} pods named {@code prefix + i} at {@code perSecond} and waits until a
   * watch saw each Running (its latency goes into {@code latencies}). Each pod's latency counts
   * from when its create was due, and creates do not wait for earlier ones to be answered, so a
   * slow answer delays no later pod's start and hides no wait.
   */
  private static void startAll(CommandClient client, String prefix, int n, double perSecond, Map<String, Long> sentAt,
      List<Double> latencies) throws Exception {
    int before = latencies.size();
    long intervalNanos = (long) (1e9 / perSecond);
    long start = System.nanoTime();
    List<CompletableFuture<?>> writes = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long due = start + i * intervalNanos;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait);
      }
      String name = prefix + i;
      sentAt.put(name, due);
      writes.add(client.create(pod(name)).thenCompose(created -> {
        if (!(created instanceof CommandResult.Accepted)) {
          throw new IllegalStateException("create of " + name + " refused: " + created);
        }
        TIMELINE.put(name + "/created", System.nanoTime() - due);
        return client.bind("default", name, NODE);
      }).thenAccept(bound -> {
        if (!(bound instanceof CommandResult.Accepted)) {
          throw new IllegalStateException("bind of " + name + " refused: " + bound);
        }
        TIMELINE.put(name + "/bound", System.nanoTime() - due);
      }));
    }
    CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get(1, TimeUnit.MINUTES);
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    while (latencies.size() - before < n && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    if (latencies.size() - before < n) {
      throw new IllegalStateException((latencies.size() - before) + " of " + n + " pods reached Running in time");
    }
  }

  /**
   * Force-deletes the {@code n} pods named {@code prefix + i} and waits until their containers are
   * gone and the agent has let go of them (sandbox, network and cgroups torn down, last statuses
   * sent), so the next pods start on a quiet node: measured right after a warm-up round, the first
   * pods shared the node with its teardown and were the slowest of the run by 150–250 ms.
   */
  private static void deleteAll(CommandClient client, NodeAgent agent, MeterRegistry registry, String prefix, int n)
      throws Exception {
    for (int i = 0; i < n; i++) {
      client.delete(Kinds.POD, "default", prefix + i, DeleteOptions.newBuilder().setGracePeriodSeconds(0L).build());
    }
    long cleanDeadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    while ((!agent.runtime().listContainers().isEmpty() || gauge(registry, "capstan_node_agent_pods") > 0
        || gauge(registry, "capstan_node_agent_pod_statuses_waiting") > 0) && System.nanoTime() < cleanDeadline) {
      Thread.sleep(50);
    }
  }

  private static double gauge(MeterRegistry registry, String name) {
    return registry.find(name).gauges().stream().mapToDouble(io.micrometer.core.instrument.Gauge::value).sum();
  }

  static Pod pod(String name) {
    return Pod.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName(name).build())
        .setSpec(PodSpec.newBuilder().setTerminationGracePeriodSeconds(0L).setContainers(List.of(Container.newBuilder()
            .setName("sleep").setImage(BusyboxImage.NAME).setCommand(List.of("sleep", "3600")).build())).build())
        .build();
  }

  /** The p50 of bare {@code runc run}s of a busybox bundle that runs {@code true}. */
  static double runcFloor(Path work, int runs) throws IOException, InterruptedException {
    String runc = RuncRuntime.findRunc().orElseThrow(() -> new IllegalStateException("runc is not installed:"
        + " apt-get install -y runc"));
    ImageInfo busybox = BusyboxImage.seed(new ImageStore(work.resolve("floor-images")));
    Path bundle = Files.createDirectories(work.resolve("floor-bundle"));
    exec(List.of(runc, "spec", "--bundle", bundle.toString()));
    String config = Files.readString(bundle.resolve("config.json"))
        .replace("\"terminal\": true", "\"terminal\": false")
        .replace("\"sh\"", "\"true\"")
        .replace("\"path\": \"rootfs\"", "\"path\": \"" + busybox.rootfs() + "\"");
    Files.writeString(bundle.resolve("config.json"), config);
    List<Double> times = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      long t0 = System.nanoTime();
      exec(List.of(runc, "--root", work.resolve("floor-state").toString(), "run", "--bundle", bundle.toString(),
          "floor-" + i));
      times.add((System.nanoTime() - t0) / 1e6);
    }
    Collections.sort(times);
    return percentile(times, 0.5);
  }

  private static void exec(List<String> cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) {
      throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
    }
  }

  static double percentile(List<Double> sorted, double q) {
    if (sorted.isEmpty()) {
      return Double.NaN;
    }
    int idx = (int) Math.ceil(q * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, idx)));
  }

  private static void deleteTree(Path dir) {
    try (var s = Files.walk(dir)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // best effort
    }
  }
}
