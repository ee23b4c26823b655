package io.capstan.ops;

import io.capstan.loadtests.scheduler.SchedulerBench;
import io.capstan.stateviews.processor.ProcessorConfig;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code capstan bench scheduler}: scheduler_perf's SchedulingBasic end to end through Kafka. */
@Command(
    name = "scheduler",
    mixinStandardHelpOptions = true,
    description = {
      "Creates --nodes nodes and --init-pods placed pods, then --pods pods through the command client, and",
      "counts their binds on the Pod state table (a fresh embedded broker, command processor and scheduler):",
      "  {\"bench\":\"scheduler\",\"nodes\":…,\"pods\":…,\"pods_per_s\":…,\"p99_ms\":…}",
      "--variant anti-affinity gives the pods a hostname anti-affinity (groups of 100) and a zone spread."
    })
final class SchedulerBenchCommand implements Callable<Integer> {
  @Option(names = "--nodes", defaultValue = "" + SchedulerBench.DEFAULT_NODES, description = "Nodes (default: ${DEFAULT-VALUE}).")
  int nodes;

  @Option(names = "--pods", defaultValue = "" + SchedulerBench.DEFAULT_PODS, description = "Pods to schedule and measure (default: ${DEFAULT-VALUE}).")
  int pods;

  @Option(names = "--init-pods", defaultValue = "" + SchedulerBench.DEFAULT_INIT_PODS, description = "Pods placed first, unmeasured (default: ${DEFAULT-VALUE}).")
  int initPods;

  @Option(names = "--warmup-seconds", defaultValue = "" + SchedulerBench.DEFAULT_WARMUP_SECONDS,
      description = "At most this long, before the initial pods, rounds of pods are scheduled and deleted again"
          + " until the JIT has settled; unmeasured, and gone before the measured pods come; 0: none"
          + " (default: ${DEFAULT-VALUE}).")
  int warmupSeconds;

  @Option(names = "--variant", defaultValue = "basic", description = "basic or anti-affinity (default: ${DEFAULT-VALUE}).")
  String variant;

  @Option(names = "--partitions", defaultValue = "4", description = "Partitions of the topics (default: ${DEFAULT-VALUE}).")
  int partitions;

  @Option(names = "--stream-threads", defaultValue = "" + ProcessorConfig.DEFAULT_STREAM_THREADS,
      description = "Command processor stream threads (default: ${DEFAULT-VALUE}).")
  int streamThreads;

  @Option(names = "--commit-interval-ms", defaultValue = "" + ProcessorConfig.DEFAULT_COMMIT_INTERVAL_MS,
      description = "Command processor commit interval (default: ${DEFAULT-VALUE}).")
  long commitIntervalMs;

  @Option(names = "--baseline-only", description = "Only the in-process baseline (algorithm and cache, no Kafka).")
  boolean baselineOnly;

  @Mixin KafkaClientOptions kafkaClient;

  @Override
  public Integer call() throws Exception {
    SchedulerBench.Settings settings;
    try {
      Map<String, Object> extra = new HashMap<>(kafkaClient.resolve());
      settings = new SchedulerBench.Settings(nodes, pods, initPods, variant, partitions, extra, streamThreads,
          commitIntervalMs, warmupSeconds);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      return 2;
    }
    if (baselineOnly) {
      SchedulerBench bench = new SchedulerBench(settings, System.err);
      double perSecond = bench.algorithmPodsPerSecond();
      System.out.printf("{\"bench\":\"scheduler-baseline\",\"variant\":\"%s\",\"nodes\":%d,\"pods\":%d,\"algorithm_pods_per_s\":%d,"
          + "\"algorithm_cpu_ms_per_pod\":%.3f}%n", variant, nodes, pods, Math.round(perSecond), bench.baselineCpuMsPerPod());
      return 0;
    }
    SchedulerBench.Result r = new SchedulerBench(settings, System.err).run();
    System.out.println(r.jsonLine());
    return r.bound() == pods ? 0 : 1;
  }
}
