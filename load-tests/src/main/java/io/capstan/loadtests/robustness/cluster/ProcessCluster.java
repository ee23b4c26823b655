package io.capstan.loadtests.robustness.cluster;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Capstan cluster of separate processes on this machine, each a {@code capstan} command of its
 * own: a KRaft Kafka quorum of {@code brokers} nodes (three replicas, two in sync), command
 * processors sharing the partitions, gateways, controller-managers, schedulers (one leads, by
 * Lease) and a hollow fleet. Every process has a fixed port and data dir, so a restart after
 * {@code kill -9} comes back where it was, and says it is ready on stdout, which the start waits
 * for — no sleeps.
 */
public final class ProcessCluster implements AutoCloseable, FaultInjector.Targets {
  /** How long one process may take to say it is ready: a dozen JVMs start at once on a small machine. */
  public static final Duration READY = Duration.ofMinutes(6);
  /** How long the brokers stopping without a quorum are given before SIGKILL (see {@link #close}). */
  static final Duration LEADERLESS_GRACE = Duration.ofSeconds(5);
  /** What the processes are told their own start-up may take (their components' ready bound), in seconds. */
  static final String READY_TIMEOUT_SECONDS = "600";

  /** How many of each process. */
  public record Shape(int brokers, int processors, int gateways, int controllerManagers, int schedulers,
      int hollowNodes, int partitions) {
    public Shape {
      if (brokers < 1 || processors < 1 || gateways < 1 || controllerManagers < 0 || schedulers < 0
          || hollowNodes < 0 || partitions < 1) {
        throw new IllegalArgumentException("a cluster needs at least one broker, processor and gateway (was " + this + ")");
      }
    }

    /** The cluster: 3 brokers, two of every component, a hollow fleet of 5 nodes. */
    public static Shape full(int partitions) {
      return new Shape(3, 2, 2, 2, 2, 5, partitions);
    }
  }

  /** The processes of the cluster, by what they are; each has a heap to match (12 JVMs share 24 GB and 2 cores). */
  public enum Role {
    BROKER(448, "kafka ready: bootstrap="), PROCESSOR(384, "state-views ready:"),
    GATEWAY(384, "gateway ready: api=(\\S+)(?: kubeconfig=(\\S+))?"), CONTROLLER_MANAGER(256, "controllers ready:"),
    SCHEDULER(256, "scheduler ready:.*leader-election-identity=(\\S+)"), HOLLOW_NODES(256, "node-agent ready:");

    final int heapMb;
    final Pattern ready;

    Role(int heapMb, String ready) {
      this.heapMb = heapMb;
      this.ready = Pattern.compile(ready);
    }

    public int heapMb() {
      return heapMb;
    }
  }

  /** How to run a {@code capstan} command as a process of the given role. */
  @FunctionalInterface
  public interface Launcher {
    List<String> command(Role role, int instance, List<String> capstanArgs);

    /**
     * {@code java} of this JVM running {@code mainClass} on {@code classpath}, each JVM kept small:
     * its role's heap, the serial collector, C1 only (start-up and CPU matter more than peak speed here).
     */
    static Launcher java(String mainClass, String classpath, List<String> jvmOptions) {
      return (role, instance, args) -> {
        List<String> c = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx" + role.heapMb() + "m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k"));
        c.addAll(jvmOptions);
        c.addAll(List.of("-cp", classpath, mainClass));
        c.addAll(args);
        return c;
      };
    }
  }

  private final Shape shape;
  private final Path dir;
  private final PrintStream progress;
  private final List<ClusterProcess> brokers = new ArrayList<>();
  private final List<ClusterProcess> processors = new ArrayList<>();
  private final List<ClusterProcess> gateways = new ArrayList<>();
  private final List<ClusterProcess> controllerManagers = new ArrayList<>();
  private final List<ClusterProcess> schedulers = new ArrayList<>();
  private final List<ClusterProcess> fleets = new ArrayList<>();
  private final List<Integer> gatewayPorts = new ArrayList<>();
  private final List<String> schedulerIdentities = new ArrayList<>();
  private final Map<String, List<String>> argsByName = new java.util.HashMap<>();
  private final Launcher launcher;
  private String bootstrap;

  private ProcessCluster(Shape shape, Path dir, Launcher launcher, PrintStream progress) {
    this.shape = shape;
    this.dir = dir;
    this.launcher = launcher;
    this.progress = progress;
  }

  /** Starts every process and waits until each says it is ready; on failure stops what started. */
  public static ProcessCluster start(Shape shape, Path dir, Launcher launcher, PrintStream progress)
      throws InterruptedException {
    ProcessCluster c = new ProcessCluster(shape, dir, launcher, progress);
    try {
      c.startAll();
      return c;
    } catch (RuntimeException | InterruptedException e) {
      c.close();
      throw e;
    }
  }

  private void startAll() throws InterruptedException {
    long t0 = System.nanoTime();
    int[] ports = freePorts(2 * shape.brokers());
    StringBuilder voters = new StringBuilder();
    StringBuilder servers = new StringBuilder();
    for (int i = 0; i < shape.brokers(); i++) {
      voters.append(i == 0 ? "" : ",").append(i + 1).append("@127.0.0.1:").append(ports[2 * i + 1]);
      servers.append(i == 0 ? "" : ",").append("127.0.0.1:").append(ports[2 * i]);
    }
    bootstrap = servers.toString();
    String clusterId = org.apache.kafka.common.Uuid.randomUuid().toString();
    for (int i = 0; i < shape.brokers(); i++) {
      List<String> args = new ArrayList<>(List.of("broker", "--data-dir", dir.resolve("broker-" + i).toString(),
          "--port", Integer.toString(ports[2 * i])));
      if (shape.brokers() > 1) {
        args.addAll(List.of("--node-id", Integer.toString(i + 1), "--controller-port", Integer.toString(ports[2 * i + 1]),
            "--controller-quorum-voters", voters.toString(), "--cluster-id", clusterId));
      }
      brokers.add(process(Role.BROKER, i, "broker-" + i, args));
    }
    progress.printf("cluster: %d broker(s) %s in %s%n", shape.brokers(), bootstrap, dir);
    startAndAwait(brokers);
    // The first processor creates the topics (three replicas with a quorum of three); the rest join it.
    for (int i = 0; i < shape.processors(); i++) {
      processors.add(process(Role.PROCESSOR, i, "processor-" + i, withKafka("state-views", "processor-" + i,
          "--partitions", Integer.toString(shape.partitions()), "--replication-factor",
          Integer.toString(Math.min(3, shape.brokers())))));
    }
    startAndAwait(processors.subList(0, 1));
    // Every process that seals or opens Secrets uses the same keys, as a cluster's processes must.
    String keys = dir.resolve("encryption-config.yaml").toString();
    io.capstan.logschema.secrets.EncryptionConfig.createIfMissing(Path.of(keys));
    int[] gw = freePorts(shape.gateways());
    for (int i = 0; i < shape.gateways(); i++) {
      gatewayPorts.add(gw[i]);
      gateways.add(process(Role.GATEWAY, i, "gateway-" + i, withKafka("gateway", "gateway-" + i, "--port",
          Integer.toString(gw[i]), "--event-loop-nice", "0", "--encryption-config", keys)));
    }
    for (int i = 0; i < shape.controllerManagers(); i++) {
      controllerManagers.add(process(Role.CONTROLLER_MANAGER, i, "controllers-" + i,
          withKafka("controllers", "controllers-" + i, "--encryption-config", keys)));
    }
    for (int i = 0; i < shape.schedulers(); i++) {
      schedulers.add(process(Role.SCHEDULER, i, "scheduler-" + i, withKafka("scheduler", "scheduler-" + i)));
    }
    if (shape.hollowNodes() > 0) {
      fleets.add(process(Role.HOLLOW_NODES, 0, "hollow-nodes", withKafka("node-agent", "hollow-nodes", "--hollow",
          "--count", Integer.toString(shape.hollowNodes()), "--port", "0", "--encryption-config", keys)));
    }
    List<ClusterProcess> rest = new ArrayList<>(processors.subList(1, processors.size()));
    rest.addAll(gateways);
    rest.addAll(controllerManagers);
    rest.addAll(schedulers);
    rest.addAll(fleets);
    startAndAwait(rest);
    progress.printf("cluster: %d processes ready in %d s%n", all().size(),
        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0));
  }

  private List<String> withKafka(String command, String dataDir, String... more) {
    List<String> args = new ArrayList<>(List.of(command, "--kafka", bootstrap, "--data-dir",
        dir.resolve(dataDir).toString(), "--metrics-port", "0"));
    args.addAll(List.of(more));
    return args;
  }

  private ClusterProcess process(Role role, int instance, String name, List<String> args) {
    return process(launcher, role, instance, name, args);
  }

  private ClusterProcess process(Launcher by, Role role, int instance, String name, List<String> args) {
    argsByName.put(name, args);
    return new ClusterProcess(name, by.command(role, instance, args), dir.resolve(name), role.ready,
        Map.of("CAPSTAN_READY_TIMEOUT_SECONDS", READY_TIMEOUT_SECONDS));
  }

  /**
   * Stops {@code role}'s process {@code instance} and starts it again as {@code other} launches it,
   * with the same arguments (its data dir, port and kubeconfig), waiting until it is ready: a test
   * swaps a deliberately broken build of one process into a running cluster. Its later restarts
   * (faults) run {@code other}'s command too.
   */
  public void relaunch(Role role, int instance, Launcher other) throws InterruptedException {
    List<ClusterProcess> ps = switch (role) {
      case BROKER -> brokers;
      case PROCESSOR -> processors;
      case GATEWAY -> gateways;
      case CONTROLLER_MANAGER -> controllerManagers;
      case SCHEDULER -> schedulers;
      case HOLLOW_NODES -> fleets;
    };
    ClusterProcess old = ps.get(instance);
    old.stop(Duration.ofSeconds(30));
    ClusterProcess p = process(other, role, instance, old.name(), argsByName.get(old.name()));
    ps.set(instance, p);
    startAndAwait(List.of(p));
  }

  private void startAndAwait(List<ClusterProcess> ps) throws InterruptedException {
    ps.forEach(ClusterProcess::start);
    for (ClusterProcess p : ps) {
      Matcher m = p.awaitReady(READY);
      if (schedulers.contains(p)) {
        recordIdentity(p, m);
      }
      progress.printf("cluster: %s ready (pid %d)%n", p.name(), p.pid());
    }
  }

  private void recordIdentity(ClusterProcess p, Matcher m) {
    int i = schedulers.indexOf(p);
    while (schedulerIdentities.size() <= i) {
      schedulerIdentities.add(null);
    }
    schedulerIdentities.set(i, m.group(1));
  }

  /** Waits for a restarted process's ready line (and notes a scheduler's new identity). */
  @Override
  public void awaitReady(ClusterProcess p) throws InterruptedException {
    Matcher m = p.awaitReady(READY);
    if (schedulers.contains(p)) {
      recordIdentity(p, m);
    }
  }

  public Shape shape() {
    return shape;
  }

  /** The brokers' addresses, as every client is given them. */
  public String bootstrap() {
    return bootstrap;
  }

  public Path dir() {
    return dir;
  }

  /** The processes a fault may hit, by target ({@link FaultSchedule.Target#SCHEDULER_LEADER}: the schedulers). */
  @Override
  public List<ClusterProcess> processes(FaultSchedule.Target target) {
    return switch (target) {
      case BROKER -> brokers;
      case PROCESSOR -> processors;
      case GATEWAY -> gateways;
      case CONTROLLER_MANAGER -> controllerManagers;
      case SCHEDULER_LEADER -> schedulers;
    };
  }

  /** The scheduler whose leader-election identity is {@code holder}, or null. */
  @Override
  public ClusterProcess schedulerWithIdentity(String holder) {
    for (int i = 0; i < schedulerIdentities.size(); i++) {
      if (holder != null && holder.equals(schedulerIdentities.get(i))) {
        return schedulers.get(i);
      }
    }
    return null;
  }

  /** Each gateway's kubeconfig (written into its data dir; kept across its restarts). */
  public List<Path> kubeconfigs() {
    return gateways.stream().map(g -> g.dir().resolve("kubeconfig")).toList();
  }

  public List<ClusterProcess> all() {
    List<ClusterProcess> all = new ArrayList<>(brokers);
    all.addAll(processors);
    all.addAll(gateways);
    all.addAll(controllerManagers);
    all.addAll(schedulers);
    all.addAll(fleets);
    return all;
  }

  /**
   * Runs a {@code capstan} command once against the cluster (such as {@code replay --verify}) and
   * returns its exit status and output.
   */
  public Run runOnce(List<String> capstanArgs, Duration timeout) throws InterruptedException {
    List<String> args = new ArrayList<>(capstanArgs);
    args.addAll(List.of("--kafka", bootstrap));
    List<String> command = launcher.command(Role.PROCESSOR, 99, args);
    try {
      Path out = java.nio.file.Files.createTempFile(dir, "run-", ".log");
      Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
          .redirectOutput(out.toFile()).start();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
        return new Run(-1, java.nio.file.Files.readString(out) + "\n(timed out after " + timeout + ")");
      }
      return new Run(p.exitValue(), java.nio.file.Files.readString(out));
    } catch (IOException e) {
      throw new UncheckedIOException("running capstan " + String.join(" ", capstanArgs), e);
    }
  }

  /** A one-off command's exit status and output. */
  public record Run(int status, String output) {}

  /**
   * Stops every process (SIGTERM, then SIGKILL), the brokers last. A broker stopping once fewer
   * than a majority of the KRaft quorum are left has no controller to grant its controlled shutdown
   * and would wait out the whole grace: the last ones get {@link #LEADERLESS_GRACE}.
   */
  @Override
  public void close() {
    List<ClusterProcess> order = all();
    java.util.Collections.reverse(order);
    int brokersUp = (int) brokers.stream().filter(ClusterProcess::alive).count();
    for (ClusterProcess p : order) {
      try {
        if (p.alive()) {
          boolean broker = brokers.contains(p);
          p.stop(broker && brokersUp <= brokers.size() / 2 ? LEADERLESS_GRACE : Duration.ofSeconds(30));
          if (broker) {
            brokersUp--;
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (RuntimeException e) {
        progress.println("cluster: stopping " + p.name() + ": " + e.getMessage());
      }
    }
  }

  private static int[] freePorts(int n) {
    List<ServerSocket> held = new ArrayList<>();
    try {
      int[] ports = new int[n];
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        held.add(s);
        ports[i] = s.getLocalPort();
      }
      return ports;
    } catch (IOException e) {
      throw new UncheckedIOException("no free ports", e);
    } finally {
      for (ServerSocket s : held) {
        try {
          s.close();
        } catch (IOException e) {
          // released anyway
        }
      }
    }
  }
}
