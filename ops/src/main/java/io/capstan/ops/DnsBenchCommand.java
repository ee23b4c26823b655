package io.capstan.ops;

import io.capstan.loadtests.dns.DnsBench;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code capstan bench dns}: the cluster DNS's queries per second and latency on loopback. */
@Command(name = "dns", mixinStandardHelpOptions = true,
    description = {
        "Creates --services Services and --headless headless ones of --endpoints endpoints in a fresh embedded",
        "cluster, starts the cluster DNS on loopback, and asks it over UDP at --rate queries/s (A of Services and",
        "of headless Services, SRV of named ports) for --seconds after --warmup-seconds; latency is counted from",
        "when each query was due (open loop). Prints",
        "  {\"bench\":\"dns\",\"queries_per_s\":…,\"p50_ms\":…,\"p99_ms\":…,\"cpu_ms_per_1000\":…,…}",
        "(cpu_ms_per_1000: the DNS event loop's CPU per 1000 answers)."})
final class DnsBenchCommand implements Callable<Integer> {
  @Option(names = "--services", defaultValue = "" + DnsBench.DEFAULT_SERVICES,
      description = "ClusterIP Services (default: ${DEFAULT-VALUE}).")
  int services;

  @Option(names = "--headless", defaultValue = "" + DnsBench.DEFAULT_HEADLESS,
      description = "Headless Services (default: ${DEFAULT-VALUE}).")
  int headless;

  @Option(names = "--endpoints", defaultValue = "" + DnsBench.DEFAULT_ENDPOINTS,
      description = "Endpoints per headless Service (default: ${DEFAULT-VALUE}).")
  int endpoints;

  @Option(names = "--rate", defaultValue = "" + DnsBench.DEFAULT_RATE,
      description = "Queries per second asked (default: ${DEFAULT-VALUE}).")
  int rate;

  @Option(names = "--seconds", defaultValue = "" + DnsBench.DEFAULT_SECONDS,
      description = "Measured seconds (default: ${DEFAULT-VALUE}).")
  int seconds;

  @Option(names = "--warmup-seconds", defaultValue = "" + DnsBench.DEFAULT_WARMUP_SECONDS,
      description = "Unmeasured seconds at the same rate first (default: ${DEFAULT-VALUE}).")
  int warmupSeconds;

  @Override
  public Integer call() throws Exception {
    DnsBench.Settings settings;
    try {
      settings = new DnsBench.Settings(services, headless, endpoints, rate, seconds, warmupSeconds);
    } catch (IllegalArgumentException e) {
      throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), e.getMessage(), e);
    }
    System.out.println(DnsBench.run(settings, System.err).json());
    return 0;
  }
}
