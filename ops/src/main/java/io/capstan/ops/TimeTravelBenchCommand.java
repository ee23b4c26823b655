package io.capstan.ops;

import io.capstan.loadtests.timetravel.TimeTravelBench;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code capstan bench timetravel}: historical lists over a large event log against live lists, through the gateway. */
@Command(name = "timetravel", mixinStandardHelpOptions = true,
    description = {
        "Starts a broker, the command processor and the gateway in this process, their event log holding",
        "--objects ConfigMaps in --namespaces namespaces, each written --versions times, and the ConfigMaps'",
        "state table their last versions (written straight into the topics in the processor's formats). Then,",
        "over HTTPS as a client: the first historical read (the gateway reads the whole log; its heap",
        "measured; it saves a snapshot of its index), the same read again after the gateway let its history",
        "go (loading that snapshot: reload_s), and --lists namespace lists asOf a random instant alternating",
        "with as many live lists of the same namespaces from the watch cache (live: the most recent, a",
        "consistent read; cached: resourceVersion=0), after a warm-up; every list's items are checked",
        "against the log, and the first historical read (at the log's newest instant) against the live list.",
        "floor_met: asOf p99 <= 500 ms and <= 20x the live p99. Prints",
        "  {\"bench\":\"timetravel\",\"events\":…,\"objects\":…,\"build_s\":…,\"reload_s\":…,\"heap_mb\":…,",
        "   \"heap_bytes_per_event\":…,",
        "   \"items_per_list\":…,\"asof_items_per_list\":…,\"asof_list_p50_ms\":…,\"asof_list_p99_ms\":…,",
        "   \"live_list_p50_ms\":…,\"live_list_p99_ms\":…,\"cached_list_p50_ms\":…,\"cached_list_p99_ms\":…,",
        "   \"asof_vs_live_p99\":…,\"floor_met\":…}"})
final class TimeTravelBenchCommand implements Callable<Integer> {
  @Option(names = "--objects", defaultValue = "" + TimeTravelBench.Settings.DEFAULT_OBJECTS,
      description = "Objects (default: ${DEFAULT-VALUE}).")
  int objects;

  @Option(names = "--versions", defaultValue = "" + TimeTravelBench.Settings.DEFAULT_VERSIONS,
      description = "Events per object: a create, then updates (default: ${DEFAULT-VALUE}).")
  int versions;

  @Option(names = "--namespaces", defaultValue = "" + TimeTravelBench.Settings.DEFAULT_NAMESPACES,
      description = "Namespaces the objects are spread over (default: ${DEFAULT-VALUE}).")
  int namespaces;

  @Option(names = "--lists", defaultValue = "" + TimeTravelBench.Settings.DEFAULT_LISTS,
      description = "Measured lists of each kind, asOf, live and cached (default: ${DEFAULT-VALUE}).")
  int lists;

  @Option(names = "--partitions", defaultValue = "" + TimeTravelBench.Settings.DEFAULT_PARTITIONS,
      description = "Partitions of the event log (default: ${DEFAULT-VALUE}).")
  int partitions;

  @Option(names = "--seed", defaultValue = "1", description = "Seed of the random instants and namespaces (default: ${DEFAULT-VALUE}).")
  long seed;

  @Override
  public Integer call() throws Exception {
    TimeTravelBench.Settings settings;
    try {
      settings = new TimeTravelBench.Settings(objects, versions, namespaces, lists, partitions, seed);
    } catch (IllegalArgumentException e) {
      throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), e.getMessage());
    }
    System.out.println(TimeTravelBench.run(settings, System.err).json());
    return 0;
  }
}
