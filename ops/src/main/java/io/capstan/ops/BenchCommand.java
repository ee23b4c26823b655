package io.capstan.ops;

import io.capstan.loadtests.api.ApiBench;
import io.capstan.loadtests.crd.CrdBench;
import io.capstan.loadtests.write.WriteBench;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code capstan bench}: benchmarks; each prints its figures as a final JSON line. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Benchmarks. Each prints progress to stderr and its figures as a final JSON line on stdout.",
    subcommands = {BenchCommand.Write.class, BenchCommand.Api.class, SchedulerBenchCommand.class,
        PodStartupBenchCommand.class, ControllersBenchCommand.class, IdleBenchCommand.class, PullBenchCommand.class,
        NetprogBenchCommand.class, DnsBenchCommand.class, BenchCommand.Crd.class, RobustnessBenchCommand.class,
        ExecBenchCommand.class, TimeTravelBenchCommand.class})
public final class BenchCommand implements Runnable {

  @Override
  public void run() {
    new picocli.CommandLine(this).usage(System.out);
  }

  @Command(
      name = "write",
      mixinStandardHelpOptions = true,
      description = {
        "Creates N objects (ConfigMaps and Pods) through the command client with C concurrent clients",
        "and reports throughput, this process's CPU per create and send-to-reply latency:",
        "  {\"bench\":\"write\",\"objects\":N,\"throughput_per_s\":…,\"cpu_ms_per_create\":…,\"cpu_cores\":…,",
        "   \"p50_ms\":…,\"p99_ms\":…}",
        "Without --kafka: a fresh embedded broker and an in-process command processor, and a replay",
        "check of the event log at the end. With --kafka: the cluster's own command processor",
        "(run `capstan up` or `capstan state-views` against it), unless --with-processor."
      })
  static final class Write implements Callable<Integer> {
    @Option(names = "--objects", defaultValue = "" + WriteBench.Settings.DEFAULT_OBJECTS, description = "Objects to create and measure (default: ${DEFAULT-VALUE}).")
    int objects;

    @Option(names = "--clients", defaultValue = "" + WriteBench.Settings.DEFAULT_CLIENTS, description = "Concurrent callers, one request in flight each (default: ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--kafka", description = "Bootstrap servers of an existing Kafka; default: a fresh embedded broker.")
    String kafka;

    @Mixin KafkaClientOptions kafkaClient;

    @Option(names = "--topic-prefix", paramLabel = "PREFIX", defaultValue = Defaults.TOPIC_PREFIX,
        description = "Prefix of every topic name (default: ${DEFAULT-VALUE}).")
    String prefix;

    @Option(names = "--partitions", defaultValue = "" + WriteBench.Settings.DEFAULT_PARTITIONS, description = "Partitions when creating topics (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--commit-interval-ms", defaultValue = "" + WriteBench.Settings.DEFAULT_COMMIT_INTERVAL_MS, description = "Processor commit interval (default: ${DEFAULT-VALUE}).")
    long commitIntervalMs;

    @Option(names = "--early-commit-quiet-ms", defaultValue = "" + WriteBench.Settings.DEFAULT_EARLY_COMMIT_QUIET_MS, description = "Processor commits early once its input was quiet this long; 0 = only at the interval (default: ${DEFAULT-VALUE}).")
    long earlyCommitQuietMs;

    @Option(names = "--watermark-interval-ms", defaultValue = "" + WriteBench.Settings.DEFAULT_WATERMARK_INTERVAL_MS, description = "Processor watermark interval (default: ${DEFAULT-VALUE}).")
    long watermarkIntervalMs;

    @Option(names = "--stream-threads", defaultValue = "" + WriteBench.Settings.DEFAULT_STREAM_THREADS, description = "Processor stream threads (default: ${DEFAULT-VALUE}).")
    int streamThreads;

    @Option(names = "--in-memory", description = "In-memory processor stores instead of RocksDB.")
    boolean inMemory;

    @Option(names = "--warmup-seconds", defaultValue = "" + WriteBench.Settings.DEFAULT_WARMUP_SECONDS, description = "Unmeasured warm-up (default: ${DEFAULT-VALUE}).")
    int warmupSeconds;

    @Option(names = "--client-instances", defaultValue = "" + WriteBench.Settings.DEFAULT_CLIENT_INSTANCES, description = "Command client instances the callers share (default: ${DEFAULT-VALUE}).")
    int clientInstances;

    @Option(names = "--with-processor", description = "With --kafka, also run a command processor in this process.")
    boolean withProcessor;

    @Option(names = "--no-verify", description = "Skip the replay check at the end.")
    boolean noVerify;

    @Override
    public Integer call() throws Exception {
      if (objects <= 0 || clients <= 0 || partitions <= 0 || clientInstances <= 0 || streamThreads <= 0) {
        System.err.println("--objects, --clients, --partitions, --stream-threads and --client-instances must be positive");
        return 2;
      }
      Map<String, Object> extra;
      try {
        extra = new HashMap<>(kafkaClient.resolve());
      } catch (IllegalArgumentException e) {
        System.err.println(e.getMessage());
        return 2;
      }
      WriteBench.Settings settings = new WriteBench.Settings(objects, clients, kafka, extra, prefix, partitions,
          commitIntervalMs, earlyCommitQuietMs, watermarkIntervalMs, streamThreads, inMemory, warmupSeconds, clientInstances,
          kafka == null || withProcessor, !noVerify);
      WriteBench.Result r = new WriteBench(settings, System.err).run();
      System.out.println(r.jsonLine());
      return r.rejected() + r.timeouts() == 0 ? 0 : 1;
    }
  }

  @Command(
      name = "api",
      mixinStandardHelpOptions = true,
      description = {
        "Drives the Kubernetes API over HTTPS with the admin token: creates paced at --rate, single gets,",
        "lists of --list-size objects and a few watches, at most --clients requests in flight; after an",
        "unmeasured warm-up prints",
        "  {\"bench\":\"api\",\"create_per_s\":…,\"cpu_ms_per_request\":…,\"cpu_cores\":…,\"create_p99_ms\":…,",
        "   \"get_p99_ms\":…,\"list_500_p99_ms\":…}",
        "and the gateway's own p99s from its /metrics (server_create_p99_ms, server_get_p99_ms, …).",
        "Without --kubeconfig: an embedded broker, the command processor and the gateway in this process.",
        "cpu_ms_per_request is this process's CPU per request: with --kubeconfig the client's alone.",
        "--compare-apply adds server-side applies and merge patches taking turns on the same --apply-objects",
        "ConfigMaps at --apply-rate, each timed from when it was due: apply_p50_ms, apply_p99_ms, update_p50_ms,",
        "update_p99_ms, apply_per_s, update_per_s and floor_met (apply p99 at most twice the update p99)."
      })
  static final class Api implements Callable<Integer> {
    @Option(names = "--kubeconfig", paramLabel = "FILE",
        description = "Measure the cluster this kubeconfig (as capstan up writes it) points at.")
    java.nio.file.Path kubeconfig;

    @Option(names = "--clients", defaultValue = "" + ApiBench.Settings.DEFAULT_CLIENTS, description = "Requests in flight at most (default: ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--rate", defaultValue = "" + ApiBench.Settings.DEFAULT_RATE, description = "Creates per second (default: ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--get-rate", defaultValue = "" + ApiBench.Settings.DEFAULT_GET_RATE, description = "Gets per second (default: ${DEFAULT-VALUE}).")
    int getRate;

    @Option(names = "--list-rate", defaultValue = "" + ApiBench.Settings.DEFAULT_LIST_RATE, description = "Lists per second (default: ${DEFAULT-VALUE}).")
    double listRate;

    @Option(names = "--list-size", defaultValue = "" + ApiBench.Settings.DEFAULT_LIST_SIZE, description = "Objects in the listed namespace (default: ${DEFAULT-VALUE}).")
    int listSize;

    @Option(names = "--watches", defaultValue = "" + ApiBench.Settings.DEFAULT_WATCHES, description = "Watches on the created objects (default: ${DEFAULT-VALUE}).")
    int watches;

    @Option(names = "--warmup-seconds", defaultValue = "" + ApiBench.Settings.DEFAULT_WARMUP_SECONDS, description = "Unmeasured warm-up (default: ${DEFAULT-VALUE}).")
    int warmupSeconds;

    @Option(names = "--seconds", defaultValue = "" + ApiBench.Settings.DEFAULT_SECONDS, description = "Measured time (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--partitions", defaultValue = "" + ApiBench.Settings.DEFAULT_PARTITIONS, description = "Partitions of the in-process stack's topics (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--event-loops", description = "Event loops of the in-process gateway (default: one per core, here ${DEFAULT-VALUE}).")
    int eventLoops = io.capstan.gateway.server.GatewayConfig.defaultEventLoops();

    @Option(names = "--compare-rbac", description = "Send every other request as a user outside system:masters, bound to"
        + " ClusterRole edit in the bench namespaces, and report its latencies (rbac_*) next to the superuser's from"
        + " the same run (in-process stack only).")
    boolean compareRbac;

    @Option(names = "--compare-apply", description = "Also send server-side applies and merge patches, taking turns on"
        + " the same objects, and report both (apply_*, update_*, floor_met).")
    boolean compareApply;

    @Option(names = "--apply-objects", defaultValue = "" + ApiBench.Settings.DEFAULT_APPLY_OBJECTS,
        description = "With --compare-apply: the ConfigMaps applied to and updated (default: ${DEFAULT-VALUE}).")
    int applyObjects;

    @Option(names = "--apply-rate", defaultValue = "" + ApiBench.Settings.DEFAULT_APPLY_RATE,
        description = "With --compare-apply: applies and updates per second, half each (default: ${DEFAULT-VALUE}).")
    int applyRate;

    @Override
    public Integer call() throws Exception {
      if (clients <= 0 || rate < 0 || getRate < 0 || listRate < 0 || listSize <= 0 || watches < 0 || seconds <= 0
          || warmupSeconds < 0 || partitions <= 0 || eventLoops <= 0 || applyObjects <= 0 || applyRate <= 0) {
        System.err.println("--clients, --list-size, --seconds, --partitions, --event-loops, --apply-objects and"
            + " --apply-rate must be positive; other rates, --watches and --warmup-seconds not negative");
        return 2;
      }
      if (compareRbac && kubeconfig != null) {
        System.err.println("--compare-rbac needs the in-process stack (it adds its user to the token file):"
            + " leave out --kubeconfig");
        return 2;
      }
      ApiBench.Result r = new ApiBench(new ApiBench.Settings(kubeconfig, clients, rate, getRate, listRate, listSize,
          watches, warmupSeconds, seconds, partitions, eventLoops, compareRbac, compareApply ? applyObjects : 0,
          applyRate), System.err).run();
      if (r.firstError() != null) {
        System.err.println("bench: first error: " + r.firstError());
      }
      System.out.println(r.jsonLine());
      return r.errors() == 0 ? 0 : 1;
    }
  }

  @Command(
      name = "crd",
      mixinStandardHelpOptions = true,
      description = {
        "Custom resources beside ConfigMaps, over HTTPS with the admin token: creates of a custom kind and of",
        "ConfigMaps (each at --rate) and gets of each (at --get-rate) on one client and one schedule, timed",
        "from when each request was due; then --definitions CRDs, each timed from create to Established. Prints",
        "  {\"bench\":\"crd\",\"custom_creates_per_s\":…,\"configmap_creates_per_s\":…,\"custom_p99_ms\":…,",
        "   \"configmap_p99_ms\":…,\"get_custom_p99_ms\":…,\"establish_p99_ms\":…,\"cpu_ms_per_op\":…}",
        "Without --kubeconfig: an embedded broker, the command processor and the gateway in this process."
      })
  static final class Crd implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--kubeconfig", paramLabel = "FILE",
        description = "Measure the cluster this kubeconfig (as capstan up writes it) points at.")
    java.nio.file.Path kubeconfig;

    @Option(names = "--clients", defaultValue = "" + CrdBench.Settings.DEFAULT_CLIENTS, description = "Requests in flight at most (default: ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--rate", defaultValue = "" + CrdBench.Settings.DEFAULT_RATE, description = "Creates per second of each kind (default: ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--get-rate", defaultValue = "" + CrdBench.Settings.DEFAULT_GET_RATE, description = "Gets per second of each kind (default: ${DEFAULT-VALUE}).")
    int getRate;

    @Option(names = "--pool", defaultValue = "" + CrdBench.Settings.DEFAULT_POOL, description = "Objects of each kind made first, for the gets (default: ${DEFAULT-VALUE}).")
    int pool;

    @Option(names = "--definitions", defaultValue = "" + CrdBench.Settings.DEFAULT_DEFINITIONS, description = "CRDs whose establishment is timed (default: ${DEFAULT-VALUE}).")
    int definitions;

    @Option(names = "--warmup-seconds", defaultValue = "" + CrdBench.Settings.DEFAULT_WARMUP_SECONDS, description = "Unmeasured warm-up (default: ${DEFAULT-VALUE}).")
    int warmupSeconds;

    @Option(names = "--seconds", defaultValue = "" + CrdBench.Settings.DEFAULT_SECONDS, description = "Measured time (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--partitions", defaultValue = "" + CrdBench.Settings.DEFAULT_PARTITIONS, description = "Partitions of the in-process stack's topics (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--event-loops", description = "Event loops of the in-process gateway (default: one per core, here ${DEFAULT-VALUE}).")
    int eventLoops = io.capstan.gateway.server.GatewayConfig.defaultEventLoops();

    @Override
    public Integer call() throws Exception {
      java.util.List<String> bad = new java.util.ArrayList<>();
      java.util.Map<String, Integer> positive = new java.util.LinkedHashMap<>();
      positive.put("--clients", clients);
      positive.put("--rate", rate);
      positive.put("--pool", pool);
      positive.put("--definitions", definitions);
      positive.put("--seconds", seconds);
      positive.put("--partitions", partitions);
      positive.put("--event-loops", eventLoops);
      positive.forEach((flag, v) -> {
        if (v <= 0) {
          bad.add(flag + " must be positive (was " + v + ")");
        }
      });
      if (getRate < 0) {
        bad.add("--get-rate must not be negative (was " + getRate + ")");
      }
      if (warmupSeconds < 0) {
        bad.add("--warmup-seconds must not be negative (was " + warmupSeconds + ")");
      }
      if (!bad.isEmpty()) {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), String.join("; ", bad));
      }
      CrdBench.Settings settings;
      try {
        settings = new CrdBench.Settings(kubeconfig, clients, rate, getRate, pool, definitions, warmupSeconds, seconds,
            partitions, eventLoops);
      } catch (IllegalArgumentException e) {
        System.err.println(e.getMessage());
        return 2;
      }
      CrdBench.Result r = new CrdBench(settings, System.err).run();
      if (r.firstError() != null) {
        System.err.println("bench: first error: " + r.firstError());
      }
      System.out.println(r.jsonLine());
      return r.errors() == 0 ? 0 : 1;
    }
  }
}
