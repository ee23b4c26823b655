package io.capstan.ops;

import io.capstan.loadtests.netprog.NetprogBench;
import io.capstan.loadtests.stack.BenchStack;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code capstan bench netprog}: network programming latency, endpoint change to rules applied. */
@Command(name = "netprog", mixinStandardHelpOptions = true,
    description = {
        "Creates --services selector-less Services with --endpoints hand-written endpoints each, lets one node's",
        "service proxy program them (real `nft -f` into a network namespace of the bench's own, never the host's",
        "ruleset; or --dry: generation only), then replaces one endpoint of a random service --changes times at",
        "--rate per second (after --warmups unmeasured changes). Needs root and nftables unless --dry. Prints",
        "  {\"bench\":\"netprog\",\"services\":S,\"endpoints_per_service\":E,\"p50_ms\":…,\"p99_ms\":…,",
        "   \"sync_ms_p99\":…,\"cpu_ms_per_change\":…,\"full_sync_ms\":…,\"changes\":C,\"syncs\":…,\"mode\":\"nft\"|\"dry\"}",
        "(latency: from the Endpoints update sent to the rules applied; CPU: the proxy's sync thread plus nft)."})
final class NetprogBenchCommand implements Callable<Integer> {
  @Option(names = "--services", defaultValue = "" + NetprogBench.Settings.DEFAULT_SERVICES,
      description = "Services (default: ${DEFAULT-VALUE}).")
  int services;

  @Option(names = "--endpoints", defaultValue = "" + NetprogBench.Settings.DEFAULT_ENDPOINTS,
      description = "Endpoints per Service (default: ${DEFAULT-VALUE}).")
  int endpoints;

  @Option(names = "--changes", defaultValue = "" + NetprogBench.Settings.DEFAULT_CHANGES,
      description = "Measured endpoint changes (default: ${DEFAULT-VALUE}).")
  int changes;

  @Option(names = "--warmups", defaultValue = "" + NetprogBench.Settings.DEFAULT_WARMUPS,
      description = "Unmeasured changes first (default: ${DEFAULT-VALUE}).")
  int warmups;

  @Option(names = "--rate", defaultValue = "" + NetprogBench.Settings.DEFAULT_RATE,
      description = "Changes per second (default: ${DEFAULT-VALUE}).")
  double rate;

  @Option(names = "--dry", description = "Generate the rules only; no nft, no namespace.")
  boolean dry;

  @Option(names = "--min-sync-period-ms", defaultValue = "100",
      description = "The proxy's least time between two syncs (default: ${DEFAULT-VALUE}).")
  long minSyncMs;

  @Option(names = "--kafka", paramLabel = "HOST:PORT[,…]",
      description = "Bootstrap servers of an existing Kafka; default: a fresh embedded broker.")
  String kafka;

  @Mixin KafkaClientOptions kafkaClient;

  @Option(names = "--topic-prefix", paramLabel = "PREFIX", defaultValue = "capstan-bench.",
      description = "Prefix of every topic name (default: ${DEFAULT-VALUE}).")
  String prefix;

  @Option(names = "--partitions", defaultValue = "1", description = "Partitions when creating topics (default: ${DEFAULT-VALUE}).")
  int partitions;

  @Override
  public Integer call() throws Exception {
    NetprogBench.Settings settings;
    try {
      Map<String, Object> extra = new HashMap<>(kafkaClient.resolve());
      settings = new NetprogBench.Settings(services, endpoints, changes, warmups, rate, dry,
          Duration.ofMillis(minSyncMs), new BenchStack.Settings(kafka, extra, prefix, partitions, true));
    } catch (IllegalArgumentException e) {
      throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), e.getMessage());
    }
    System.out.println(NetprogBench.run(settings, System.err).json());
    return 0;
  }
}
