package io.capstan.ops;

import io.capstan.loadtests.pull.PullBench;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code capstan bench pull}: image pull throughput from a loopback registry, beside skopeo's. */
@Command(name = "pull", mixinStandardHelpOptions = true,
    description = {
        "Pushes an image of --layers layers of --layer-mib MiB to Debian's docker-registry on loopback, then pulls",
        "it (after --warmup-runs unmeasured pulls) --runs times with Capstan's puller (into a fresh image store: download, digest checks, unpacking)",
        "and with `skopeo copy` into an OCI layout, alternately. Needs docker-registry and skopeo. Prints",
        "  {\"bench\":\"pull\",\"layers\":L,\"image_mib\":…,\"capstan_mib_per_s\":…,\"skopeo_mib_per_s\":…,",
        "   \"ratio\":…,\"cpu_ms_per_mib\":…,\"runs\":R,\"warmups\":W}",
        "(medians of the runs; MiB are the compressed bytes fetched)."})
final class PullBenchCommand implements Callable<Integer> {
  @Option(names = "--layers", defaultValue = "" + PullBench.Settings.DEFAULT_LAYERS,
      description = "Layers in the image (default: ${DEFAULT-VALUE}).")
  int layers;

  @Option(names = "--layer-mib", defaultValue = "" + PullBench.Settings.DEFAULT_LAYER_MIB,
      description = "Uncompressed MiB per layer (default: ${DEFAULT-VALUE}).")
  int layerMiB;

  @Option(names = "--runs", defaultValue = "" + PullBench.Settings.DEFAULT_RUNS,
      description = "Pulls by each client (default: ${DEFAULT-VALUE}).")
  int runs;

  @Option(names = "--warmup-runs", defaultValue = "" + PullBench.Settings.DEFAULT_WARMUPS,
      description = "Unmeasured pulls by each client first (default: ${DEFAULT-VALUE}).")
  int warmups;

  @Override
  public Integer call() throws Exception {
    if (layers < 1 || layerMiB < 1 || runs < 1 || warmups < 0) {
      throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
          "--layers, --layer-mib and --runs must be at least 1, --warmup-runs not negative");
    }
    System.out.println(PullBench.run(new PullBench.Settings(layers, layerMiB, runs, warmups)).json());
    return 0;
  }
}
