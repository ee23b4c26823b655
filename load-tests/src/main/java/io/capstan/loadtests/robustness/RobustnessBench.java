package io.capstan.loadtests.robustness;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.gateway.store.ResourceStore;
import io.capstan.loadtests.api.ApiTarget;
import io.capstan.loadtests.api.InProcessStack;
import io.capstan.loadtests.report.JsonLine;
import io.capstan.loadtests.robustness.check.DurabilityChecker;
import io.capstan.loadtests.robustness.check.LinearizabilityChecker;
import io.capstan.loadtests.robustness.check.ObjectModel;
import io.capstan.loadtests.robustness.check.WatchChecker;
import io.capstan.loadtests.robustness.cluster.FaultInjector;
import io.capstan.loadtests.robustness.cluster.FaultSchedule;
import io.capstan.loadtests.robustness.cluster.ProcessCluster;
import io.capstan.loadtests.robustness.cluster.RecoveryProbe;
import io.capstan.loadtests.robustness.history.History;
import io.capstan.loadtests.robustness.history.Input;
import io.capstan.loadtests.robustness.history.LogEvent;
import io.capstan.loadtests.robustness.history.Operation;
import io.capstan.loadtests.robustness.history.Output;
import io.capstan.loadtests.robustness.history.WatchSession;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

/**
 * The robustness run (issue 20, checks 1–3): several recording clients drive mixed traffic on a
 * bounded set of ConfigMaps in a namespace of their own — creates, compare-and-set updates,
 * unconditional updates, merge patches, deletes (with and without a precondition), gets and
 * lists — while watchers list and watch the namespace, each watch ending after a few seconds and
 * resumed from the last version it saw, as a reflector does. Each write carries a value unique in
 * the run (the payload field {@code data.v}). Afterwards it reads the final state and the event
 * log (the audit API), and checks: linearizability per key, the six watch guarantees per watch,
 * and that no acknowledged write was lost nor any value appeared that no client wrote.
 *
 * <p>In-process (the default) it runs against one broker, processor and gateway in this JVM, or
 * against the cluster a kubeconfig names. With {@link Settings#cluster()} it starts a
 * {@link ProcessCluster} of separate processes (a 3-broker quorum, two of each component, a hollow
 * fleet), sends the traffic through every gateway (each client sticking to one and moving to the
 * next when it fails, see {@link FailoverApiClient}), keeps a few Deployments scaling, and injects
 * the seeded {@link FaultSchedule} ({@code kill -9} and restart, SIGSTOP/SIGCONT), measuring each
 * fault's recovery. Then, beside the checks above: the Deployments converge within a bound after
 * the last fault, and {@code replay --verify} agrees with the live tables.
 */
public final class RobustnessBench {

  /** The run's settings; every default is here once. */
  public record Settings(Path kubeconfig, int seconds, long seed, int clients, int keys, int watchers,
      int partitions, Duration requestTimeout, Cluster cluster) {
    public static final int DEFAULT_SECONDS = 60;
    public static final long DEFAULT_SEED = 1;
    public static final int DEFAULT_CLIENTS = 6;
    public static final int DEFAULT_KEYS = 12;
    public static final int DEFAULT_WATCHERS = 2;
    public static final int DEFAULT_PARTITIONS = 4;
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);

    public Settings(Path kubeconfig, int seconds, long seed, int clients, int keys, int watchers, int partitions,
        Duration requestTimeout) {
      this(kubeconfig, seconds, seed, clients, keys, watchers, partitions, requestTimeout, null);
    }

    public Settings {
      if (seconds <= 0 || clients <= 0 || keys <= 0 || watchers < 0 || partitions <= 0) {
        throw new IllegalArgumentException("--seconds, --clients, --keys and --partitions must be positive and "
            + "--watchers not negative (were " + seconds + ", " + clients + ", " + keys + ", " + partitions + ", "
            + watchers + ")");
      }
    }

    public static Settings defaults() {
      return new Settings(null, DEFAULT_SECONDS, DEFAULT_SEED, DEFAULT_CLIENTS, DEFAULT_KEYS, DEFAULT_WATCHERS,
          DEFAULT_PARTITIONS, DEFAULT_REQUEST_TIMEOUT);
    }

    public Settings withSeconds(int s) {
      return new Settings(kubeconfig, s, seed, clients, keys, watchers, partitions, requestTimeout, cluster);
    }

    public Settings withSeed(long s) {
      return new Settings(kubeconfig, seconds, s, clients, keys, watchers, partitions, requestTimeout, cluster);
    }

    public Settings withPartitions(int p) {
      return new Settings(kubeconfig, seconds, seed, clients, keys, watchers, p, requestTimeout, cluster);
    }

    public Settings withKubeconfig(Path k) {
      return new Settings(k, seconds, seed, clients, keys, watchers, partitions, requestTimeout, cluster);
    }

    public Settings withCluster(Cluster c) {
      return new Settings(kubeconfig, seconds, seed, clients, keys, watchers, partitions, requestTimeout, c);
    }
  }

  /**
   * The multi-process mode: the cluster's shape, how its processes are launched, where they keep
   * their data (null: a temp dir), how far apart faults are, how many Deployments the controllers
   * keep at their replicas, and how long they may take to converge after the last fault.
   */
  public record Cluster(ProcessCluster.Shape shape, ProcessCluster.Launcher launcher, Path dir, Duration faultSpacing,
      int deployments, Duration convergeBound) {
    public static final Duration DEFAULT_CONVERGE_BOUND = Duration.ofMinutes(3);
    public static final int DEFAULT_DEPLOYMENTS = 3;

    public static Cluster of(ProcessCluster.Shape shape, ProcessCluster.Launcher launcher) {
      return new Cluster(shape, launcher, null, FaultSchedule.DEFAULT_SPACING, DEFAULT_DEPLOYMENTS,
          DEFAULT_CONVERGE_BOUND);
    }

    public Cluster withFaultSpacing(Duration d) {
      return new Cluster(shape, launcher, dir, d, deployments, convergeBound);
    }

    public Cluster withDir(Path d) {
      return new Cluster(shape, launcher, d, faultSpacing, deployments, convergeBound);
    }
  }

  /**
   * What the multi-process run found beyond the history: the faults with their recoveries, whether
   * the Deployments converged (seconds after the traffic and faults ended; negative: not within the
   * bound), and what {@code replay --verify} said (null: not run).
   */
  public record ClusterFindings(List<FaultInjector.Injected> faults, double recoveryMaxSeconds, double convergedSeconds,
      Integer replayStatus, String replayOutput) {
    static final ClusterFindings NONE = new ClusterFindings(List.of(), 0, 0, null, null);

    boolean clean() {
      return faults.stream().allMatch(f -> f.recovery() != null) && convergedSeconds >= 0
          && (replayStatus == null || replayStatus == 0);
    }
  }

  /** The findings of one run. */
  public record Result(Settings settings, int operations, int unanswered, int watchSessions, long watchEvents,
      List<LinearizabilityChecker.KeyResult> anomalies, List<LinearizabilityChecker.KeyResult> unchecked,
      List<WatchChecker.Violation> watchViolations, List<String> lost, List<String> phantom, long checkMs,
      ClusterFindings cluster) {
    public boolean clean() {
      return anomalies.isEmpty() && unchecked.isEmpty() && watchViolations.isEmpty() && lost.isEmpty()
          && phantom.isEmpty() && cluster.clean();
    }

    /** E.g. {@code ordered=12 reliable=1}: which guarantees the watch violations broke. */
    public String byGuarantee() {
      java.util.TreeMap<String, Integer> n = new java.util.TreeMap<>();
      watchViolations.forEach(v -> n.merge(v.guarantee(), 1, Integer::sum));
      StringBuilder b = new StringBuilder();
      n.forEach((g, c) -> b.append(b.length() == 0 ? "" : " ").append(g).append('=').append(c));
      return b.toString();
    }

    public String jsonLine() {
      return new JsonLine("robustness")
          .put("ops", operations)
          .put("faults", cluster.faults().size())
          .put("linearizability_anomalies", anomalies.size())
          .put("watch_violations", watchViolations.size())
          .put("lost_acknowledged_writes", lost.size())
          .put("recovery_s_max", Double.isInfinite(cluster.recoveryMaxSeconds()) ? -1.0
              : Math.round(cluster.recoveryMaxSeconds() * 10) / 10.0)
          .put("watch_violations_by_guarantee", byGuarantee())
          .put("phantom_writes", phantom.size())
          .put("unchecked_keys", unchecked.size())
          .put("unanswered", unanswered)
          .put("watch_sessions", watchSessions)
          .put("watch_events", watchEvents)
          .put("check_ms", checkMs)
          .put("keys", settings.keys())
          .put("clients", settings.clients())
          .put("watchers", settings.watchers())
          .put("seconds", settings.seconds())
          .put("seed", settings.seed())
          .put("faults_unrecovered", cluster.faults().stream().filter(f -> f.recovery() == null).count())
          .put("deployments_converged_s", Math.round(cluster.convergedSeconds() * 10) / 10.0)
          .put("replay_verify", cluster.replayStatus() == null ? "skipped" : cluster.replayStatus() == 0 ? "ok"
              : "failed")
          .put("stack", settings.cluster() != null ? "processes" : settings.kubeconfig() == null ? "in-process"
              : "kubeconfig")
          .toString();
    }
  }

  private final Settings s;
  private final PrintStream progress;
  private final UnaryOperator<ResourceStore> storeWrapper;
  private final History history = new History();
  private final List<WatchSession> sessions = new CopyOnWriteArrayList<>();
  private final AtomicLong watchEvents = new AtomicLong();
  private final Map<String, String> failures = new ConcurrentHashMap<>();
  private String namespace;
  private long t0;

  public RobustnessBench(Settings settings, PrintStream progress) {
    this(settings, progress, UnaryOperator.identity());
  }

  /** With the in-process gateway serving through {@code storeWrapper} (tests: a deliberately broken store). */
  public RobustnessBench(Settings settings, PrintStream progress, UnaryOperator<ResourceStore> storeWrapper) {
    this.s = settings;
    this.progress = progress;
    this.storeWrapper = storeWrapper;
  }

  public Result run() throws Exception {
    if (s.cluster() != null) {
      return runCluster();
    }
    try (InProcessStack stack = s.kubeconfig() == null
        ? InProcessStack.start(s.partitions(), io.capstan.gateway.server.GatewayConfig.defaultEventLoops(), progress,
            storeWrapper) : null) {
      ApiTarget target = ApiTarget.fromKubeconfig(stack != null ? stack.kubeconfig() : s.kubeconfig());
      return drive(List.of(target), null);
    }
  }

  private Result runCluster() throws Exception {
    Cluster c = s.cluster();
    Path dir = c.dir() != null ? c.dir() : Files.createTempDirectory("capstan-robustness-");
    try (ProcessCluster cluster = ProcessCluster.start(c.shape(), dir, c.launcher(), progress)) {
      return runOn(cluster, true);
    }
  }

  /**
   * The multi-process run on a cluster already running (the caller's, left running), with the
   * settings' fault spacing, Deployments and convergence bound; {@code replay}: end with
   * {@code replay --verify}.
   */
  public Result runOn(ProcessCluster cluster, boolean replay) throws Exception {
    Cluster c = s.cluster();
    List<FaultSchedule.Fault> schedule = FaultSchedule.plan(s.seed(), Duration.ofSeconds(s.seconds()),
        c.faultSpacing(), cluster.shape());
    progress.printf("robustness: %d faults planned (seed %d):%n", schedule.size(), s.seed());
    schedule.forEach(f -> progress.printf("  at %5d s  %s%n", f.at().toSeconds(), f.describe()));
    List<ApiTarget> targets = new ArrayList<>();
    for (Path k : cluster.kubeconfigs()) {
      targets.add(ApiTarget.fromKubeconfig(k));
    }
    Chaos chaos = new Chaos(cluster, targets, schedule);
    chaos.replay = replay;
    return drive(targets, chaos);
  }

  /** The traffic and the checks, on these gateways; with {@code chaos}, faults meanwhile and its checks after. */
  private Result drive(List<ApiTarget> targets, Chaos chaos) throws Exception {
    FailoverApiClient api = new FailoverApiClient(targets, 0, s.requestTimeout());
    namespace = "robustness-" + s.seed() + "-" + Long.toString(System.currentTimeMillis(), 36);
    t0 = System.nanoTime();
    createNamespace(api);
    prepareKeys(api);
    if (chaos != null) {
      chaos.prepare(api);
    }
    progress.printf("robustness: %d clients and %d watchers on %d ConfigMaps in %s through %d gateway(s) for %d s"
        + " (seed %d)%n", s.clients(), s.watchers(), s.keys(), namespace, targets.size(), s.seconds(), s.seed());
    long start = System.nanoTime();
    long end = start + Duration.ofSeconds(s.seconds()).toNanos();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < s.clients(); i++) {
      RecordingClient c = new RecordingClient("c" + i, new FailoverApiClient(targets, i, s.requestTimeout()),
          new Random(s.seed() * 1_000_003 + i), end);
      threads.add(started(new Thread(c::run, "robustness-" + c.id)));
    }
    for (int i = 0; i < s.watchers(); i++) {
      Watcher w = new Watcher("w" + i, new FailoverApiClient(targets, i, s.requestTimeout()),
          new Random(s.seed() * 7 + i), end);
      threads.add(started(new Thread(w::run, "robustness-" + w.id)));
    }
    if (chaos != null) {
      chaos.start(start, end);
    }
    for (Thread t : threads) {
      t.join();
    }
    if (!failures.isEmpty()) {
      progress.println("robustness: client failures: " + failures);
    }
    ClusterFindings findings = chaos == null ? ClusterFindings.NONE : chaos.finish(api);
    Map<String, DurabilityChecker.FinalState> finals = finalState(api);
    List<LogEvent> log = eventLog(api);
    progress.printf("robustness: %d operations, %d watch sessions (%d events), %d events in the log; checking%n",
        history.size(), sessions.size(), watchEvents.get(), log.size());
    return check(finals, log, findings);
  }

  /**
   * The multi-process run's part: a probe object written through every gateway to time each
   * recovery, Deployments kept scaling (the controllers, scheduler and hollow fleet at work during
   * the faults), the fault injector, and afterwards convergence and {@code replay --verify}.
   */
  private final class Chaos {
    final ProcessCluster cluster;
    final List<ApiTarget> targets;
    final List<FaultSchedule.Fault> schedule;
    FaultInjector injector;
    RecoveryProbe probe;
    Thread injecting;
    Thread scaling;
    boolean replay = true;
    volatile boolean scaled;
    final java.util.concurrent.atomic.AtomicInteger probes = new java.util.concurrent.atomic.AtomicInteger();

    Chaos(ProcessCluster cluster, List<ApiTarget> targets, List<FaultSchedule.Fault> schedule) {
      this.cluster = cluster;
      this.targets = targets;
      this.schedule = schedule;
    }

    String base() {
      return "/api/v1/namespaces/" + namespace + "/configmaps";
    }

    String deployments() {
      return "/apis/apps/v1/namespaces/" + namespace + "/deployments";
    }

    void prepare(FailoverApiClient api) throws Exception {
      ApiClient.Answer a = api.call("POST", base(), "application/json", configMap("probe", "0"));
      if (a.code() != 201) {
        throw new IllegalStateException("creating the recovery probe: HTTP " + a.code() + " " + a.body());
      }
      for (int i = 0; i < s.cluster().deployments(); i++) {
        ApiClient.Answer d = api.call("POST", deployments(), "application/json", deployment("d" + i, 2));
        if (d.code() != 201) {
          throw new IllegalStateException("creating Deployment d" + i + ": HTTP " + d.code() + " " + d.body());
        }
      }
      List<RecoveryProbe.Write> writes = new ArrayList<>();
      for (int g = 0; g < targets.size(); g++) {
        ApiClient one = new ApiClient(targets.get(g), Duration.ofSeconds(10));
        String field = "g" + g;
        writes.add(() -> {
          try {
            return one.call("PATCH", base() + "/probe", "application/merge-patch+json",
                "{\"data\":{\"" + field + "\":\"" + probes.incrementAndGet() + "\"}}").code() == 200;
          } catch (java.io.IOException e) {
            return false;
          }
        });
      }
      probe = new RecoveryProbe(writes);
      injector = new FaultInjector(cluster, schedule, probe, () -> schedulerLeader(api), progress);
    }

    void start(long start, long end) throws Exception {
      injecting = started(new Thread(() -> {
        try {
          injector.run(start, end);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
          failures.put("fault-injector", e.toString());
          progress.println("robustness: the fault injector failed: " + e);
        }
      }, "robustness-faults"));
      if (s.cluster().deployments() == 0) {
        scaling = started(new Thread(() -> { }, "robustness-scaler"));
        return;
      }
      FailoverApiClient scaler = new FailoverApiClient(targets, 1, s.requestTimeout());
      Random rnd = new Random(s.seed() * 31);
      scaling = started(new Thread(() -> {
        try {
          while (System.nanoTime() < end) {
            Thread.sleep(5000);
            String d = "d" + rnd.nextInt(s.cluster().deployments());
            try {
              scaler.call("PATCH", deployments() + "/" + d, "application/merge-patch+json",
                  "{\"spec\":{\"replicas\":" + (1 + rnd.nextInt(3)) + "}}");
              scaled = true;
            } catch (java.io.IOException e) {
              // a fault: the next one goes elsewhere
            }
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "robustness-scaler"));
    }

    ClusterFindings finish(FailoverApiClient api) throws Exception {
      injecting.join();
      scaling.join();
      long quiet = System.nanoTime();
      if (probe.await(quiet, FaultInjector.RECOVERY_BOUND) == null) {
        progress.println("robustness: after the last fault, writes through some gateway still fail");
      }
      double converged = awaitConverged(api, quiet);
      progress.printf("robustness: Deployments %s%n", converged >= 0
          ? String.format("converged %.1f s after the last fault", converged)
          : "did NOT converge within " + s.cluster().convergeBound().toSeconds() + " s after the last fault");
      ProcessCluster.Run verified = null;
      if (replay) {
        verified = cluster.runOnce(List.of("replay", "--verify"), Duration.ofMinutes(10));
        progress.println("robustness: replay --verify exited " + verified.status() + ": "
            + verified.output().lines().filter(l -> !l.isBlank()).reduce((a, b) -> b).orElse(""));
        if (verified.status() != 0) {
          progress.println(verified.output());
        }
      }
      List<FaultInjector.Injected> done = injector.injected();
      progress.println("robustness: faults (" + done.size() + "):");
      done.forEach(f -> progress.println("  " + f.describe()));
      return new ClusterFindings(done, injector.recoveryMaxSeconds(), converged,
          verified == null ? null : verified.status(), verified == null ? null : verified.output());
    }

    /** Seconds from {@code since} until every Deployment has its replicas ready and updated; -1 past the bound. */
    double awaitConverged(FailoverApiClient api, long since) throws InterruptedException {
      long deadline = since + s.cluster().convergeBound().toNanos();
      String last = "no answer";
      while (System.nanoTime() - deadline < 0) {
        try {
          ApiClient.Answer a = api.call("GET", deployments(), null, null);
          if (a.code() == 200) {
            StringBuilder behind = new StringBuilder();
            for (JsonNode d : a.body().path("items")) {
              int want = d.path("spec").path("replicas").asInt(1);
              JsonNode st = d.path("status");
              if (st.path("readyReplicas").asInt() != want || st.path("updatedReplicas").asInt() != want
                  || st.path("replicas").asInt() != want
                  || st.path("observedGeneration").asLong() < d.path("metadata").path("generation").asLong()) {
                behind.append(' ').append(d.path("metadata").path("name").asText()).append(' ').append(st);
              }
            }
            if (behind.length() == 0) {
              return (System.nanoTime() - since) / 1e9;
            }
            last = behind.toString();
          }
        } catch (java.io.IOException e) {
          last = e.toString();
        }
        Thread.sleep(500);
      }
      progress.println("robustness: Deployments behind:" + last);
      return -1;
    }

    /** The scheduler Lease's holder now, or null. */
    String schedulerLeader(FailoverApiClient api) {
      try {
        ApiClient.Answer a = api.call("GET", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler",
            null, null);
        return a.code() == 200 ? a.body().path("spec").path("holderIdentity").asText(null) : null;
      } catch (java.io.IOException e) {
        return null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }
  }

  private static String deployment(String name, int replicas) {
    return "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"" + name + "\"},"
        + "\"spec\":{\"replicas\":" + replicas + ",\"selector\":{\"matchLabels\":{\"app\":\"" + name + "\"}},"
        + "\"template\":{\"metadata\":{\"labels\":{\"app\":\"" + name + "\"}},\"spec\":{\"containers\":"
        + "[{\"name\":\"c\",\"image\":\"busybox\"}],\"automountServiceAccountToken\":false}}}}";
  }

  private Result check(Map<String, DurabilityChecker.FinalState> finals, List<LogEvent> log, ClusterFindings findings) {
    long c0 = System.nanoTime();
    List<Operation> ops = history.operations();
    DurabilityChecker.Result durability = new DurabilityChecker().check(ops, log, finals);
    Map<String, List<Operation>> byKey = new java.util.LinkedHashMap<>();
    for (Operation op : DurabilityChecker.resolveUnanswered(ops, log)) {
      byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
    }
    LinearizabilityChecker.Result lin = new LinearizabilityChecker<>(new ObjectModel()).check(byKey);
    List<WatchChecker.Violation> watch = new WatchChecker(log).check(sessions);
    long checkMs = (System.nanoTime() - c0) / 1_000_000;
    lin.anomalies().stream().limit(5).forEach(k -> progress.println("robustness: " + k.describe()));
    lin.unchecked().stream().limit(5).forEach(k -> progress.println("robustness: " + k.describe()));
    watch.stream().limit(10).forEach(v -> progress.println("robustness: watch " + v));
    durability.lost().stream().limit(10).forEach(v -> progress.println("robustness: lost: " + v));
    durability.phantom().stream().limit(10).forEach(v -> progress.println("robustness: phantom: " + v));
    int unanswered = (int) ops.stream().filter(Operation::unanswered).count();
    return new Result(s, ops.size(), unanswered, sessions.size(), watchEvents.get(), lin.anomalies(), lin.unchecked(),
        watch, durability.lost(), durability.phantom(), checkMs, findings);
  }

  // ---- the namespace, the final state and the log ----

  private void createNamespace(FailoverApiClient api) throws Exception {
    ApiClient.Answer a = api.call("POST", "/api/v1/namespaces", "application/json",
        "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"" + namespace + "\"}}");
    if (a.code() != 201) {
      throw new IllegalStateException("creating namespace " + namespace + ": HTTP " + a.code() + " " + a.body());
    }
  }

  /**
   * A new namespace reaches each partition's admission a moment later (until then a create there
   * is 404): each key is created once its partition knows the namespace, then deleted, both
   * recorded, so the traffic starts with every key absent and every partition ready.
   */
  private void prepareKeys(FailoverApiClient api) throws Exception {
    String path = "/api/v1/namespaces/" + namespace + "/configmaps";
    for (int k = 0; k < s.keys(); k++) {
      String name = "k" + k;
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (true) {
        long call = now();
        ApiClient.Answer a = api.call("POST", path, "application/json", configMap(name, "setup-" + name));
        if (a.code() == 201) {
          history.add(new Operation(key(name), "setup", call, now(), new Input.Create("setup-" + name), output(a)));
          break;
        }
        if (a.code() != 404 || System.nanoTime() > deadline) {
          throw new IllegalStateException("preparing " + namespace + "/" + name + ": HTTP " + a.code() + " " + a.body());
        }
        Thread.sleep(100);
      }
      long call = now();
      ApiClient.Answer d = api.call("DELETE", path + "/" + name, null, null);
      if (d.code() != 200) {
        throw new IllegalStateException("preparing " + namespace + "/" + name + ": delete answered HTTP " + d.code()
            + " " + d.body());
      }
      history.add(new Operation(key(name), "setup", call, now(), new Input.Delete(0), output(d)));
    }
  }

  /**
   * The clients' keys; other ConfigMaps of the namespace (the recovery probe, the controllers'
   * kube-root-ca.crt) are not part of the checked history.
   */
  private static boolean tracked(String name) {
    return name != null && name.matches("k\\d+");
  }

  private String key(String name) {
    return "ConfigMap/" + namespace + "/" + name;
  }

  private static String configMap(String name, String value) {
    return "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"" + name + "\"},"
        + "\"data\":{\"v\":\"" + value + "\"}}";
  }

  private Map<String, DurabilityChecker.FinalState> finalState(FailoverApiClient api) throws Exception {
    ApiClient.Answer a = api.call("GET", "/api/v1/namespaces/" + namespace + "/configmaps", null, null);
    if (a.code() != 200) {
      throw new IllegalStateException("the final list answered HTTP " + a.code() + " " + a.body());
    }
    Map<String, DurabilityChecker.FinalState> finals = new HashMap<>();
    for (int k = 0; k < s.keys(); k++) {
      finals.put(key("k" + k), DurabilityChecker.FinalState.absent());
    }
    for (JsonNode item : a.body().path("items")) {
      String name = item.path("metadata").path("name").asText();
      if (finals.containsKey(key(name))) {
        finals.put(key(name), new DurabilityChecker.FinalState(true, rv(item), value(item)));
      }
    }
    return finals;
  }

  /** The namespace's ConfigMap events from the event log (the audit API, with the objects). */
  private List<LogEvent> eventLog(FailoverApiClient api) throws Exception {
    ApiClient.Answer a = api.call("GET", "/apis/audit.capstan.io/v1/events?kind=configmaps&objects=true&namespace="
        + URLEncoder.encode(namespace, StandardCharsets.UTF_8), null, null);
    if (a.code() != 200) {
      throw new IllegalStateException("the audit API answered HTTP " + a.code() + " " + a.body());
    }
    List<LogEvent> log = new ArrayList<>();
    for (JsonNode e : a.body().path("items")) {
      String name = e.path("object").path("name").asText();
      if (!tracked(name)) {
        continue;
      }
      LogEvent.Type type = switch (e.path("op").asText()) {
        case "CREATED" -> LogEvent.Type.ADDED;
        case "DELETED" -> LogEvent.Type.DELETED;
        default -> LogEvent.Type.MODIFIED;
      };
      log.add(new LogEvent(key(name), Long.parseLong(e.path("object").path("resourceVersion").asText()), type,
          type == LogEvent.Type.DELETED ? null : value(e.path("responseObject"))));
    }
    return log;
  }

  static long rv(JsonNode object) {
    String v = object.path("metadata").path("resourceVersion").asText("");
    return v.isEmpty() ? 0 : Long.parseLong(v);
  }

  static String value(JsonNode object) {
    JsonNode v = object.path("data").path("v");
    return v.isMissingNode() || v.isNull() ? null : v.asText();
  }

  private static Thread started(Thread t) {
    t.setDaemon(true);
    t.start();
    return t;
  }

  private long now() {
    return System.nanoTime() - t0;
  }

  // ---- the clients ----

  /** One client: one call at a time, each recorded with its call and return times. */
  private final class RecordingClient {
    final String id;
    final FailoverApiClient api;
    final Random rnd;
    final long end;
    /** The version this client last saw per key: its compare-and-set preconditions (sometimes stale, as they are). */
    final Map<String, Long> seen = new HashMap<>();
    int seq;

    RecordingClient(String id, FailoverApiClient api, Random rnd, long end) {
      this.id = id;
      this.api = api;
      this.rnd = rnd;
      this.end = end;
    }

    void run() {
      while (System.nanoTime() < end) {
        try {
          step();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        } catch (RuntimeException e) {
          failures.merge(id, e.toString(), (a, b) -> a);
          return;
        }
      }
    }

    void step() throws InterruptedException {
      String name = "k" + rnd.nextInt(s.keys());
      String key = key(name);
      String path = "/api/v1/namespaces/" + namespace + "/configmaps";
      String value = id + "-" + seq++;
      int dice = rnd.nextInt(100);
      if (dice < 22) {
        call(key, new Input.Get(), "GET", path + "/" + name, null, null);
      } else if (dice < 30) {
        list(path);
      } else if (dice < 45) {
        call(key, new Input.Create(value), "POST", path, "application/json", configMap(name, value));
      } else if (dice < 65) {
        long pre = seen.getOrDefault(key, 1L);
        call(key, new Input.Update(value, pre), "PUT", path + "/" + name, "application/json",
            "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"" + name
                + "\",\"resourceVersion\":\"" + pre + "\"},\"data\":{\"v\":\"" + value + "\"}}");
      } else if (dice < 70) {
        call(key, new Input.Update(value, 0), "PUT", path + "/" + name, "application/json", configMap(name, value));
      } else if (dice < 88) {
        call(key, new Input.Patch(value), "PATCH", path + "/" + name, "application/merge-patch+json",
            "{\"data\":{\"v\":\"" + value + "\"}}");
      } else if (dice < 94) {
        call(key, new Input.Delete(0), "DELETE", path + "/" + name, null, null);
      } else {
        long pre = seen.getOrDefault(key, 1L);
        call(key, new Input.Delete(pre), "DELETE", path + "/" + name, "application/json",
            "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"preconditions\":{\"resourceVersion\":\"" + pre + "\"}}");
      }
    }

    void call(String key, Input in, String method, String path, String contentType, String body)
        throws InterruptedException {
      long call = now();
      Output out;
      try {
        ApiClient.Answer a = api.call(method, path, contentType, body);
        out = output(a);
      } catch (java.io.IOException e) {
        out = new Output.Unknown(e.toString());
      }
      long ret = now();
      if (out instanceof Output.Ok ok) {
        seen.put(key, ok.resourceVersion());
      }
      history.add(new Operation(key, id, call, ret, in, out));
    }

    /** A list is a read of every key at once: each key's part is recorded as a read of it. */
    void list(String path) throws InterruptedException {
      long call = now();
      ApiClient.Answer a;
      try {
        a = api.call("GET", path, null, null);
      } catch (java.io.IOException e) {
        return; // a read without an answer says nothing
      }
      long ret = now();
      if (a.code() != 200) {
        if (a.code() < 500 && a.code() != 429) {
          // a refused list is an error of the server: recorded against every key, the model refuses it
          for (int k = 0; k < s.keys(); k++) {
            history.add(new Operation(key("k" + k), id, call, ret, new Input.Get(), new Output.Refused(a.code())));
          }
        }
        return;
      }
      Map<String, JsonNode> items = new HashMap<>();
      for (JsonNode item : a.body().path("items")) {
        items.put(item.path("metadata").path("name").asText(), item);
      }
      for (int k = 0; k < s.keys(); k++) {
        JsonNode item = items.get("k" + k);
        history.add(new Operation(key("k" + k), id, call, ret, new Input.Get(),
            item == null ? new Output.Refused(404) : new Output.Ok(200, rv(item), value(item))));
      }
    }
  }

  /** What an answer says: the object (2xx), a refusal (4xx), or nothing to rely on (5xx, 429). */
  static Output output(ApiClient.Answer a) {
    if (a.code() >= 200 && a.code() < 300) {
      JsonNode body = a.body();
      if (body == null || "Status".equals(body.path("kind").asText())) {
        return new Output.Ok(a.code(), 0, null);
      }
      return new Output.Ok(a.code(), rv(body), value(body));
    }
    if (a.code() >= 500 || a.code() == 429) {
      return new Output.Unknown("HTTP " + a.code());
    }
    return new Output.Refused(a.code());
  }

  /** A watcher: lists, then watches from the list's version; each watch resumed from the last version it saw. */
  private final class Watcher {
    final String id;
    final FailoverApiClient api;
    final Random rnd;
    final long end;
    int n;

    Watcher(String id, FailoverApiClient api, Random rnd, long end) {
      this.id = id;
      this.api = api;
      this.rnd = rnd;
      this.end = end;
    }

    void run() {
      String path = "/api/v1/namespaces/" + namespace + "/configmaps";
      try {
        long from = 0;
        while (System.nanoTime() < end) {
          try {
            if (from == 0) {
              ApiClient.Answer a = api.call("GET", path, null, null);
              if (a.code() != 200) {
                Thread.sleep(200);
                continue;
              }
              from = Long.parseLong(a.body().path("metadata").path("resourceVersion").asText());
            }
            long left = Math.max(1, (end - System.nanoTime()) / 1_000_000_000L);
            long timeout = Math.min(left, 2 + rnd.nextInt(6));
            from = watch(path, from, timeout);
          } catch (java.io.IOException e) {
            // no gateway answered (a fault): try again, from where this watcher was, as a reflector does
            Thread.sleep(200);
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception e) {
        failures.merge(id, e.toString(), (a, b) -> a);
      }
    }

    /** One watch from {@code from}: the version to resume from, 0 to list again (410). */
    long watch(String path, long from, long timeoutSeconds) throws Exception {
      List<WatchSession.Delivered> delivered = new ArrayList<>();
      int error = 0;
      long last = from;
      var resp = api.stream(path + "?watch=1&allowWatchBookmarks=true&resourceVersion=" + from + "&timeoutSeconds="
          + timeoutSeconds, Duration.ofSeconds(timeoutSeconds + 30));
      if (resp.statusCode() != 200) {
        resp.body().close();
        error = resp.statusCode();
      } else {
        try (var lines = resp.body()) {
          for (String line : (Iterable<String>) lines::iterator) {
            if (line.isBlank()) {
              continue;
            }
            JsonNode e = ApiClient.JSON.readTree(line);
            String type = e.path("type").asText();
            JsonNode o = e.path("object");
            if (type.equals("ERROR")) {
              error = o.path("code").asInt();
              break;
            }
            WatchSession.Type t = WatchSession.Type.valueOf(type);
            String name = o.path("metadata").path("name").asText(null);
            if (t != WatchSession.Type.BOOKMARK && !tracked(name)) {
              last = Math.max(last, rv(o));
              continue;
            }
            delivered.add(new WatchSession.Delivered(t, t == WatchSession.Type.BOOKMARK ? null : key(name), rv(o),
                t == WatchSession.Type.BOOKMARK ? null : value(o)));
            last = Math.max(last, rv(o));
            if (t != WatchSession.Type.BOOKMARK) {
              watchEvents.incrementAndGet();
            }
          }
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
          // the stream broke: what came is recorded, the next watch resumes after it
        }
      }
      sessions.add(new WatchSession(id + "-" + n++ + "@" + from, from, delivered, error));
      return error == 410 ? 0 : last;
    }
  }
}
