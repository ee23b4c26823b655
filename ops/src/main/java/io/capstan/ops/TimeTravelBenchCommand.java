package io.capstan.ops;

import io.capstan.loadtests.timetravel.TimeTravelBench;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code capstan bench timetravel}: historical reads over a large event log. */
@Command(name = "timetravel", mixinStandardHelpOptions = true,
    description = {
        "Fills an embedded broker's event log with --objects ConfigMaps in --namespaces namespaces, each",
        "written --versions times, then times the first historical read's catch-up (the whole log), measures",
        "the heap it holds, and times namespace lists at random instants (asOf) against the same lists at the",
        "newest instant, both decoded and rendered as the gateway answers. Prints",
        "  {\"bench\":\"timetravel\",\"events\":…,\"objects\":…,\"build_s\":…,\"heap_mb\":…,\"heap_bytes_per_event\":…,",
        "   \"items_per_list\":…,\"asof_list_p50_ms\":…,\"asof_list_p99_ms\":…,\"newest_list_p50_ms\":…,",
        "   \"newest_list_p99_ms\":…}"})
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
      description = "Measured lists of each kind (default: ${DEFAULT-VALUE}).")
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
