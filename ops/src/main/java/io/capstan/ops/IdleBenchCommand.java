package io.capstan.ops;

import io.capstan.loadtests.crd.CrdBench;
import io.capstan.loadtests.idle.IdleBench;
import io.capstan.loadtests.stack.BenchStack;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code capstan bench idle}: what a cluster with nothing to do costs. */
@Command(name = "idle", mixinStandardHelpOptions = true,
    description = {
        "Starts `capstan up` in a child process on a fresh data dir and free ports, through this tree's ./capstan",
        "launcher so its JVM options are measured (or, with --pid, --kafka and --metrics, measures a running",
        "one), waits --settle-seconds after it is ready, then measures it for",
        "--seconds with no workload:",
        "  {\"bench\":\"idle\",\"cpu_cores\":…,\"rss_mb\":…,\"threads\":…,\"records_per_s\":…,\"transactions_per_s\":…}",
        "--extra-topics N first adds N compacted topics of the cluster's shape (what N more kinds cost the broker);",
        "--crds N first registers N custom kinds through the API (CustomResourceDefinitions, each Established)."})
final class IdleBenchCommand implements Callable<Integer> {
  @Option(names = "--settle-seconds", defaultValue = "300",
      description = "Wait this long after ready before measuring (default: ${DEFAULT-VALUE}, as the floor is stated).")
  int settleSeconds;

  @Option(names = "--seconds", defaultValue = "60", description = "Length of the measured window (default: ${DEFAULT-VALUE}).")
  int seconds;

  @Option(names = "--extra-topics", defaultValue = "0",
      description = "Compacted topics of --partitions partitions to add before settling (default: ${DEFAULT-VALUE}).")
  int extraTopics;

  @Option(names = "--crds", defaultValue = "0",
      description = "Custom kinds to register through the API (one CustomResourceDefinition each) before settling "
          + "(default: ${DEFAULT-VALUE}).")
  int crds;

  @Option(names = "--kubeconfig", description = "The running cluster's kubeconfig (with --pid and --crds).")
  Path kubeconfig;

  @Option(names = "--partitions", defaultValue = "" + Defaults.PARTITIONS,
      description = "Partitions of each extra topic (default: ${DEFAULT-VALUE}).")
  int partitions;

  @Option(names = "--pid", description = "Measure this running process instead of starting one (with --kafka and --metrics).")
  Long pid;

  @Option(names = "--kafka", paramLabel = "HOST:PORT", description = "The running cluster's Kafka (with --pid).")
  String kafka;

  @Option(names = "--metrics", paramLabel = "URL", description = "The running cluster's /metrics URL (with --pid).")
  URI metrics;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (settleSeconds < 0 || seconds < 1 || extraTopics < 0 || partitions < 1 || crds < 0) {
      throw new ParameterException(spec.commandLine(), "--settle-seconds must not be negative, --seconds and "
          + "--partitions at least 1, --extra-topics and --crds not negative");
    }
    boolean running = pid != null || kafka != null || metrics != null;
    if (running && (pid == null || kafka == null || metrics == null)) {
      throw new ParameterException(spec.commandLine(), "measuring a running cluster needs --pid, --kafka and --metrics");
    }
    if (running && crds > 0 && kubeconfig == null) {
      throw new ParameterException(spec.commandLine(), "--crds on a running cluster needs its --kubeconfig");
    }
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("extra_topics", extraTopics);
    extra.put("crds", crds);
    extra.put("settle_s", settleSeconds);
    if (running) {
      IdleBench.Target target = new IdleBench.Target(pid, kafka, metrics);
      addTopicsAndSettle(target);
      System.out.println(IdleBench.measure(target, Duration.ofSeconds(seconds), extra).json());
      return 0;
    }
    Path dir = Files.createTempDirectory("capstan-bench-idle-");
    Process up = startUp(dir);
    try {
      IdleBench.Target target = awaitReady(up, dir);
      addTopicsAndSettle(target);
      System.out.println(IdleBench.measure(target, Duration.ofSeconds(seconds), extra).json());
      return 0;
    } finally {
      up.destroy(); // SIGTERM: up stops cleanly
      if (!up.waitFor(60, TimeUnit.SECONDS)) {
        up.destroyForcibly().waitFor();
      }
      BenchStack.deleteTree(dir);
    }
  }

  private void addTopicsAndSettle(IdleBench.Target target) throws Exception {
    if (crds > 0) {
      if (kubeconfig == null) {
        throw new IllegalStateException("--crds needs the cluster's kubeconfig, and up's ready line named none");
      }
      CrdBench.defineKinds(kubeconfig, crds, System.err);
    }
    if (extraTopics > 0) {
      List<NewTopic> topics = new ArrayList<>();
      for (int i = 0; i < extraTopics; i++) {
        topics.add(new NewTopic(String.format("capstan.bench-idle.extra-%03d", i), partitions, (short) 1)
            .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)));
      }
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, target.kafka()))) {
        admin.createTopics(topics).all().get(120, TimeUnit.SECONDS);
      }
      System.err.println("bench: added " + extraTopics + " topics of " + partitions + " partitions");
    }
    for (int left = settleSeconds; left > 0; left -= 30) {
      System.err.println("bench: settling, " + left + " s before the measured " + seconds + " s");
      Thread.sleep(Math.min(30, left) * 1000L);
    }
    System.err.println("bench: measuring for " + seconds + " s");
  }

  /**
   * {@code capstan up} in a child process on free ports, started as a user starts it: through the
   * {@code capstan} launcher of this distribution when there is one (so its JVM options are the
   * ones measured; it {@code exec}s java, so the child's pid is the JVM's), else a JVM of the same
   * Java and classpath.
   */
  private static Process startUp(Path dir) throws IOException {
    List<String> args = List.of("up", "--data-dir", dir.toString(), "--kafka-port", "0", "--api-port", "0",
        "--metrics-port", "0");
    List<String> cmd = new ArrayList<>();
    Path launcher = launcher();
    if (launcher != null) {
      cmd.add(launcher.toString()); // its JVM flags and start-up cache, as a user's up gets them
    } else {
      String java = ProcessHandle.current().info().command().orElse("java");
      cmd.addAll(List.of(java, "-XX:MaxTenuringThreshold=2"));
      // the start-up cache ./capstan gave this JVM fits the child too (same JVM, same classpath),
      // with the module options it was trained with
      ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
          .filter(a -> a.startsWith("-XX:AOTCache=") || a.startsWith("--enable-native-access=")
              || a.startsWith("--sun-misc-unsafe-memory-access="))
          .forEach(cmd::add);
      cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Capstan.class.getName()));
    }
    cmd.addAll(args);
    System.err.println("bench: starting " + String.join(" ", cmd) + " (its log: " + dir.resolve("up.log") + ")");
    return new ProcessBuilder(cmd).redirectError(dir.resolve("up.log").toFile()).start();
  }

  /** The {@code capstan} script of the tree this jar was built in (ops/target/ops-*.jar), or null. */
  private static Path launcher() {
    try {
      Path jar = Path.of(Capstan.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      Path root = jar.getParent() == null || jar.getParent().getParent() == null ? null
          : jar.getParent().getParent().getParent();
      Path script = root == null ? null : root.resolve("capstan");
      return script != null && Files.isRegularFile(script) && Files.isExecutable(script)
          && Files.isRegularFile(jar) ? script : null;
    } catch (java.net.URISyntaxException | SecurityException | java.nio.file.InvalidPathException e) {
      return null;
    }
  }

  private IdleBench.Target awaitReady(Process up, Path dir) throws IOException {
    BufferedReader out = new BufferedReader(new InputStreamReader(up.getInputStream(), StandardCharsets.UTF_8));
    String line;
    while ((line = out.readLine()) != null) {
      System.err.println("up: " + line);
      if (line.startsWith("capstan ready:")) {
        Map<String, String> parts = IdleBench.readyLine(line);
        // Keep draining its output so it never blocks on a full pipe.
        Thread drain = new Thread(() -> {
          try {
            while (out.readLine() != null) {
              // discarded: up's progress lines after ready
            }
          } catch (IOException ignored) {
            // the child closed its output
          }
        }, "bench-idle-drain");
        drain.setDaemon(true);
        drain.start();
        if (parts.containsKey("kubeconfig")) {
          kubeconfig = Path.of(parts.get("kubeconfig"));
        }
        return new IdleBench.Target(up.pid(), parts.get("kafka"), URI.create(parts.get("metrics")));
      }
    }
    throw new IllegalStateException("capstan up exited before it was ready (exit " + exitOf(up) + "); see "
        + dir.resolve("up.log"));
  }

  private static String exitOf(Process p) {
    try {
      return p.waitFor(10, TimeUnit.SECONDS) ? Integer.toString(p.exitValue()) : "still running";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "unknown";
    }
  }
}
