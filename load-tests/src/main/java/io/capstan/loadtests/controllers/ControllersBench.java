package io.capstan.loadtests.controllers;

import io.capstan.api.Deployment;
import io.capstan.api.DeploymentStatus;
import io.capstan.api.EnvVar;
import io.capstan.api.Namespace;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.controllers.manager.ControllerManager;
import io.capstan.controllers.manager.ControllerManagerConfig;
import io.capstan.loadtests.report.CpuAccount;
import io.capstan.loadtests.report.JsonLine;
import io.capstan.loadtests.stack.BenchStack;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.InformerConfig;
import io.capstan.stateviews.informer.ResourceEventHandler;
import io.capstan.stateviews.informer.SharedInformers;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controllers at scale, as Kubernetes' density and rolling-update tests drive them: N
 * Deployments of R replicas created at once through the command client, against a command
 * processor and a controller-manager in this process, with the bench standing in for kubelet
 * ({@link StandInKubelet}). The pods name a scheduler nobody runs, so nothing else acts on them.
 * Measured: the time until all N×R pods exist and until every Deployment is available; then,
 * after one env var of every template changes, until every rollout is complete as
 * {@code kubectl rollout status} sees it (observedGeneration ≥ generation, updated = replicas =
 * available, no old pods left).
 */
public final class ControllersBench {
  private static final Logger log = LoggerFactory.getLogger(ControllersBench.class);
  public static final int DEFAULT_DEPLOYMENTS = 1000;
  public static final int DEFAULT_REPLICAS = 10;
  public static final int DEFAULT_NAMESPACES = 1;
  public static final int DEFAULT_PARTITIONS = 4;
  public static final int DEFAULT_READY_IN_FLIGHT = 200;
  public static final long DEFAULT_TIMEOUT_SECONDS = 1800;
  /** Hollow nodes of the DaemonSet phase (issue 18); 0 skips it. */
  public static final int DEFAULT_DAEMONSET_NODES = 1000;
  /** StatefulSets (Parallel) of the hollow-node phase, beside the DaemonSet (issue 18); 0 skips them. */
  public static final int DEFAULT_STATEFULSETS = 100;
  public static final int DEFAULT_STATEFULSET_REPLICAS = 10;
  /** The schedulerName of the bench's pods, which no Capstan scheduler serves. */
  public static final String UNSCHEDULED = "capstan-bench-unscheduled";
  /** The env var the rollout changes (a template change, so a new ReplicaSet). */
  public static final String REVISION_ENV = "BENCH_REVISION";
  /** Creates and updates in flight at once: enough to keep the processor busy, well inside the client timeout. */
  private static final int WRITES_IN_FLIGHT = 500;
  private static final long PROGRESS_EVERY_NANOS = TimeUnit.SECONDS.toNanos(5);

  /**
   * How the bench runs.
   *
   * @param deployments   Deployments to create
   * @param replicas      replicas of each
   * @param namespaces    namespaces the Deployments are spread over
   * @param stack         Kafka, topics and processor
   * @param workers       reconcile workers per controller
   * @param readyInFlight status updates of the stand-in kubelet in flight at most
   * @param timeout       the longest each phase may take
   * @param daemonSetNodes hollow nodes of the DaemonSet phase ({@link DaemonSetPhase}); 0 skips it
   * @param statefulSets  StatefulSets (Parallel) the DaemonSet phase also runs on its hollow nodes; 0 skips them
   * @param statefulSetReplicas replicas of each
   */
  public record Settings(int deployments, int replicas, int namespaces, BenchStack.Settings stack, int workers,
      int readyInFlight, Duration timeout, int daemonSetNodes, int statefulSets, int statefulSetReplicas) {
    public Settings {
      if (statefulSets < 0 || statefulSetReplicas < 1) {
        throw new IllegalArgumentException("--statefulsets must be 0 or more and --statefulset-replicas at least 1, got "
            + statefulSets + " and " + statefulSetReplicas);
      }
      if (statefulSets > 0 && daemonSetNodes == 0) {
        throw new IllegalArgumentException("--statefulsets run on the hollow nodes of the DaemonSet phase: give "
            + "--daemonset-nodes too");
      }
      if (deployments < 1 || replicas < 1 || namespaces < 1 || workers < 1 || readyInFlight < 1) {
        throw new IllegalArgumentException("--deployments, --replicas, --namespaces, --workers and --ready-in-flight"
            + " must be at least 1");
      }
      if (daemonSetNodes < 0 || daemonSetNodes > io.capstan.nodeagent.fleet.HollowFleetConfig.MAX_COUNT) {
        throw new IllegalArgumentException("--daemonset-nodes must be 0.."
            + io.capstan.nodeagent.fleet.HollowFleetConfig.MAX_COUNT + ", got " + daemonSetNodes);
      }
      if (namespaces > deployments) {
        throw new IllegalArgumentException("--namespaces (" + namespaces + ") must not exceed --deployments ("
            + deployments + ")");
      }
      if (timeout == null || timeout.isZero() || timeout.isNegative()) {
        throw new IllegalArgumentException("--timeout-seconds must be positive, got " + timeout);
      }
    }

    /** Without the DaemonSet phase. */
    public Settings(int deployments, int replicas, int namespaces, BenchStack.Settings stack, int workers,
        int readyInFlight, Duration timeout) {
      this(deployments, replicas, namespaces, stack, workers, readyInFlight, timeout, 0);
    }

    /** Without StatefulSets in the DaemonSet phase. */
    public Settings(int deployments, int replicas, int namespaces, BenchStack.Settings stack, int workers,
        int readyInFlight, Duration timeout, int daemonSetNodes) {
      this(deployments, replicas, namespaces, stack, workers, readyInFlight, timeout, daemonSetNodes, 0, 1);
    }

    public int pods() {
      return deployments * replicas;
    }
  }

  /**
   * The figures of one run.
   *
   * @param podsCreated   pod creates seen before the rollout (more than N×R would mean double creates)
   * @param allPodsSeconds from the first Deployment create to the last of the N×R pods existing
   * @param availableSeconds from the first Deployment create to every Deployment available
   * @param rolloutSeconds from the first template update to every rollout complete
   * @param createCpu     this process's CPU over the create phase (to every Deployment available): the
   *                      processor's, the controllers', the stand-in kubelet's and, when embedded, the
   *                      broker's; with {@code --kafka} that broker's is not counted
   * @param rolloutCpu    the same over the rollout phase
   */
  public record Result(Settings settings, int podsCreated, double allPodsSeconds, double availableSeconds,
      double rolloutSeconds, int rolledOut, int podsAfter, int stalePodsAfter, MeterTally create, MeterTally rollout,
      long readyUpdates, long readyRetries, boolean embeddedBroker, int partitions, CpuAccount.Spent createCpu,
      CpuAccount.Spent rolloutCpu, DaemonSetPhase.Result daemons) {

    /** Every Deployment rolled out, N×R pods at the end and none of the old template. */
    public boolean complete() {
      return rolledOut == settings.deployments() && podsAfter == settings.pods() && stalePodsAfter == 0;
    }

    public String jsonLine() {
      JsonLine j = new JsonLine("controllers")
          .put("deployments", settings.deployments())
          .put("replicas", settings.replicas())
          .put("pods", settings.pods())
          .put("create_pods_per_s", settings.pods() / allPodsSeconds)
          // the unit of work is a pod: each created, then replaced by the rollout, once
          .put("create_cpu_ms_per_pod", createCpu.msPer(settings.pods()))
          .put("all_pods_s", allPodsSeconds)
          .put("all_available_s", availableSeconds)
          .put("rollout_s", rolloutSeconds)
          .put("rollout_pods_per_s", settings.pods() / rolloutSeconds)
          .put("rollout_cpu_ms_per_pod", rolloutCpu.msPer(settings.pods()))
          .put("cpu_cores", (double) (createCpu.processNanos() + rolloutCpu.processNanos())
              / (createCpu.wallNanos() + rolloutCpu.wallNanos()))
          .put("rolled_out", rolledOut)
          .put("pods_created", podsCreated)
          .put("pods_after", podsAfter)
          .put("stale_pods_after", stalePodsAfter)
          .put("create_reconciles_per_s", create.reconcileTotal() / availableSeconds)
          .put("rollout_reconciles_per_s", rollout.reconcileTotal() / rolloutSeconds)
          .put("replicaset_reconciles", (long) (create.reconcilesOf("replicaset") + rollout.reconcilesOf("replicaset")))
          .put("deployment_reconciles", (long) (create.reconcilesOf("deployment") + rollout.reconcilesOf("deployment")))
          .put("processor_commands_per_s", (create.commandTotal() + rollout.commandTotal())
              / (availableSeconds + rolloutSeconds))
          .put("commands_refused", (long) (create.commandsNot("accepted") + rollout.commandsNot("accepted")))
          .put("ready_updates", readyUpdates)
          .put("ready_retries", readyRetries)
          .put("namespaces", settings.namespaces())
          .put("workers", settings.workers())
          .put("partitions", partitions)
          .put("embedded_broker", embeddedBroker);
      if (daemons != null) {
        // the DaemonSet path against a Deployment of as many replicas, both through the scheduler to hollow nodes
        j.put("daemonset_nodes", daemons.nodes())
            .put("daemonset_all_pods_s", daemons.daemonSetAllPodsSeconds())
            .put("daemonset_ready_s", daemons.daemonSetReadySeconds())
            .put("daemonset_pods_per_s", daemons.daemonSetPodsPerSecond())
            .put("baseline_deployment_all_pods_s", daemons.deploymentAllPodsSeconds())
            .put("baseline_deployment_ready_s", daemons.deploymentReadySeconds())
            .put("baseline_deployment_pods_per_s", daemons.deploymentPodsPerSecond())
            .put("daemonset_vs_deployment", daemons.daemonSetPodsPerSecond() / daemons.deploymentPodsPerSecond())
            .put("hollow_nodes_register_s", daemons.registerSeconds());
        if (daemons.statefulSets() != null) {
          // StatefulSets (Parallel) on the same nodes and path, against the same baseline
          DaemonSetPhase.StatefulSets sts = daemons.statefulSets();
          j.put("statefulsets", sts.sets())
              .put("statefulset_replicas", sts.replicas())
              .put("statefulset_all_pods_s", sts.allPodsSeconds())
              .put("statefulset_ready_s", sts.readySeconds())
              .put("statefulset_pods_per_s", sts.podsPerSecond())
              .put("statefulset_vs_deployment", sts.podsPerSecond() / daemons.deploymentPodsPerSecond());
        }
      }
      return j.toString();
    }
  }

  private final Settings s;
  private final PrintStream progress;
  private final String runId = UUID.randomUUID().toString().substring(0, 6);

  public ControllersBench(Settings settings, PrintStream progress) {
    this.s = settings;
    this.progress = progress;
  }

  public Result run() throws Exception {
    MeterRegistry registry = new SimpleMeterRegistry();
    List<String> namespaces = new ArrayList<>();
    for (int i = 0; i < s.namespaces(); i++) {
      namespaces.add("bench-" + runId + "-" + i);
    }
    Set<String> ours = Set.copyOf(namespaces);
    log.info("controllers bench {}: {} deployments x {} replicas in {} namespace(s)", runId, s.deployments(),
        s.replicas(), s.namespaces());
    try (BenchStack stack = BenchStack.start(s.stack(), registry, progress);
        CommandClient client = CommandClient.unshared(CommandClientConfig.defaults(stack.kafka(), stack.layout(),
            "bench-controllers"), registry);
        SharedInformers informers = new SharedInformers(InformerConfig.defaults(stack.kafka(), stack.layout(),
            "bench-controllers"), registry)) {
      Informer<Pod> pods = informers.informerFor(Kinds.POD, Pod.class);
      Informer<Deployment> deployments = informers.informerFor(Kinds.DEPLOYMENT, Deployment.class);
      Informer<io.capstan.api.DaemonSet> daemonSets = informers.informerFor(Kinds.DAEMON_SET,
          io.capstan.api.DaemonSet.class);
      Informer<io.capstan.api.StatefulSet> statefulSets = informers.informerFor(Kinds.STATEFUL_SET,
          io.capstan.api.StatefulSet.class);
      AtomicInteger podsAdded = new AtomicInteger();
      pods.addHandler(new ResourceEventHandler<>() {
        @Override
        public void onAdd(Pod p) {
          if (ours.contains(p.getMetadata().getNamespace())) {
            podsAdded.incrementAndGet();
          }
        }
      });
      try (StandInKubelet kubelet = new StandInKubelet(pods, client, p -> ours.contains(p.getMetadata().getNamespace()),
              s.readyInFlight());
          ControllerManager manager = new ControllerManager(ControllerManagerConfig.defaults(stack.kafka(), stack.layout())
              .withWorkers(s.workers()), registry)) {
        informers.start();
        if (!informers.awaitSynced(BenchStack.START_TIMEOUT)) {
          throw new IllegalStateException("the bench's informers did not sync within " + BenchStack.START_TIMEOUT);
        }
        progress.printf("bench: starting the controller-manager (%d workers per controller)%n", s.workers());
        manager.start();
        manager.awaitReady(BenchStack.START_TIMEOUT);
        kubelet.start();
        for (String ns : namespaces) {
          createNamespace(client, ns);
        }

        // ---- phase 1: N Deployments at once; until all N×R pods exist, then until all are available
        progress.printf("bench: creating %d Deployments x %d replicas (%d pods) in %d namespace(s)%n", s.deployments(),
            s.replicas(), s.pods(), s.namespaces());
        MeterTally before = MeterTally.of(registry);
        CpuAccount cpu = CpuAccount.start();
        long t0 = System.nanoTime();
        Progress p1 = new Progress("create", t0, registry, kubelet, podsAdded, deployments, namespaces, 1);
        writeAll(s.deployments(), i -> createRetrying(client, deployment(namespaces, i), 100), "create Deployment", p1);
        p1.await("all " + s.pods() + " pods to exist", () -> podsAdded.get() >= s.pods());
        long allPods = System.nanoTime();
        progress.printf(Locale.ROOT, "bench: all %d pods exist after %.1f s (%.0f pods/s)%n", s.pods(),
            (allPods - t0) / 1e9, s.pods() * 1e9 / (allPods - t0));
        p1.await("every Deployment to be available", () -> p1.complete() == s.deployments());
        long available = System.nanoTime();
        CpuAccount.Spent createCpu = cpu.spent();
        int podsCreated = podsAdded.get();
        MeterTally create = MeterTally.of(registry).minus(before);
        progress.printf(Locale.ROOT, "bench: every Deployment available after %.1f s; %d pod creates seen%n%s%s",
            (available - t0) / 1e9, podsCreated, create.describe((available - t0) / 1e9), createCpu.table(8));

        // ---- phase 2: a template change in every Deployment; until every rollout is complete
        progress.printf("bench: rolling update of %d Deployments (%s=2)%n", s.deployments(), REVISION_ENV);
        before = MeterTally.of(registry);
        cpu = CpuAccount.start();
        long t1 = System.nanoTime();
        Progress p2 = new Progress("rollout", t1, registry, kubelet, podsAdded, deployments, namespaces, 2);
        writeAll(s.deployments(), i -> updateTemplate(client, deployments, namespaces, i), "update Deployment", p2);
        p2.await("every rollout to complete", () -> p2.complete() == s.deployments());
        long rolledOut = System.nanoTime();
        CpuAccount.Spent rolloutCpu = cpu.spent();
        MeterTally rollout = MeterTally.of(registry).minus(before);
        progress.printf(Locale.ROOT, "bench: every rollout complete after %.1f s%n%s%s", (rolledOut - t1) / 1e9,
            rollout.describe((rolledOut - t1) / 1e9), rolloutCpu.table(8));

        int podsAfter = 0;
        int stale = 0;
        for (String ns : namespaces) {
          for (Pod p : pods.list(ns)) {
            if (p.getMetadata().getDeletionTimestamp() == null) {
              podsAfter++;
              if (!"2".equals(revision(p))) {
                stale++;
              }
            }
          }
        }

        // ---- phase 3: a DaemonSet on hollow nodes against a Deployment of as many replicas there
        DaemonSetPhase.Result daemons = null;
        if (s.daemonSetNodes() > 0) {
          daemons = new DaemonSetPhase(stack, client, registry, progress, runId, s.daemonSetNodes(), s.statefulSets(),
              s.statefulSetReplicas(), s.timeout()).run(pods, daemonSets, statefulSets, deployments);
        }
        return new Result(s, podsCreated, (allPods - t0) / 1e9, (available - t0) / 1e9, (rolledOut - t1) / 1e9,
            p2.complete(), podsAfter, stale, create, rollout, kubelet.madeReady(), kubelet.retries(),
            stack.embeddedBroker(), stack.partitions(), createCpu, rolloutCpu, daemons);
      }
    }
  }

  /** Where the bench is, every few seconds on the progress stream; and the wait for a phase's end. */
  private final class Progress {
    final String phase;
    final long start;
    final MeterRegistry registry;
    final StandInKubelet kubelet;
    final AtomicInteger podsAdded;
    final Informer<Deployment> deployments;
    final List<String> namespaces;
    final long generation;
    long lastReport;
    double lastCommands;

    Progress(String phase, long start, MeterRegistry registry, StandInKubelet kubelet, AtomicInteger podsAdded,
        Informer<Deployment> deployments, List<String> namespaces, long generation) {
      this.phase = phase;
      this.start = start;
      this.registry = registry;
      this.kubelet = kubelet;
      this.podsAdded = podsAdded;
      this.deployments = deployments;
      this.namespaces = namespaces;
      this.generation = generation;
      this.lastReport = start;
      this.lastCommands = MeterTally.of(registry).commandTotal();
    }

    /** Deployments whose rollout of this phase's template is complete. */
    int complete() {
      int n = 0;
      for (String ns : namespaces) {
        for (Deployment d : deployments.list(ns)) {
          if (rolledOut(d, generation)) {
            n++;
          }
        }
      }
      return n;
    }

    void maybeReport() {
      long now = System.nanoTime();
      if (now - lastReport < PROGRESS_EVERY_NANOS) {
        return;
      }
      double commands = MeterTally.of(registry).commandTotal();
      progress.printf(Locale.ROOT,
          "bench: %s %.0f s: pods seen %d, made ready %d (backlog %d), deployments done %d/%d, queues %s,"
              + " processor %.0f cmd/s%n",
          phase, (now - start) / 1e9, podsAdded.get(), kubelet.madeReady(), kubelet.backlog(), complete(),
          s.deployments(), MeterTally.queueDepths(registry), (commands - lastCommands) * 1e9 / (now - lastReport));
      lastReport = now;
      lastCommands = commands;
      if (kubelet.firstError() != null) {
        progress.println("bench: stand-in kubelet's first error: " + kubelet.firstError());
      }
    }

    void await(String what, BooleanSupplier done) throws InterruptedException {
      long deadline = start + s.timeout().toNanos();
      while (!done.getAsBoolean()) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(phase + ": timed out after " + s.timeout().toSeconds() + " s waiting for "
              + what + " (pods seen " + podsAdded.get() + ", deployments done " + complete() + "/" + s.deployments()
              + ", queues " + MeterTally.queueDepths(registry) + ")");
        }
        maybeReport();
        Thread.sleep(50);
      }
    }
  }

  /** What {@code kubectl rollout status} waits for, at the given generation. */
  static boolean rolledOut(Deployment d, long generation) {
    DeploymentStatus st = d.getStatus();
    Long gen = d.getMetadata().getGeneration();
    if (st == null || gen == null || gen < generation || st.getObservedGeneration() == null
        || st.getObservedGeneration() < gen) {
      return false;
    }
    int want = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
    return eq(st.getUpdatedReplicas(), want) && eq(st.getReplicas(), want) && eq(st.getAvailableReplicas(), want);
  }

  private static boolean eq(Integer v, int want) {
    return v != null && v == want;
  }

  /** Sends n writes with at most WRITES_IN_FLIGHT unanswered; each must end accepted. */
  private void writeAll(int n, Function<Integer, java.util.concurrent.CompletableFuture<CommandResult>> write,
      String what, Progress p) throws InterruptedException {
    Semaphore window = new Semaphore(WRITES_IN_FLIGHT);
    List<String> refused = Collections.synchronizedList(new ArrayList<>());
    for (int i = 0; i < n; i++) {
      while (!window.tryAcquire(50, TimeUnit.MILLISECONDS)) {
        p.maybeReport();
      }
      write.apply(i).whenComplete((r, e) -> {
        window.release();
        if (e != null) {
          refused.add(e.toString());
        } else if (r instanceof CommandResult.Rejected rej) {
          refused.add(rej.status().getReason() + ": " + rej.status().getMessage());
        }
      });
    }
    while (!window.tryAcquire(WRITES_IN_FLIGHT, 50, TimeUnit.MILLISECONDS)) {
      p.maybeReport();
    }
    if (!refused.isEmpty()) {
      throw new IllegalStateException(refused.size() + " of " + n + " " + what + " refused, e.g. " + refused.get(0));
    }
  }

  /** Creates a namespace and waits until a namespaced create in it is no longer refused as NotFound. */
  private void createNamespace(CommandClient client, String ns) throws Exception {
    Namespace n = Namespace.newBuilder().setMetadata(ObjectMeta.newBuilder().setName(ns).build()).build();
    CommandResult r = client.create(n).get(30, TimeUnit.SECONDS);
    if (r instanceof CommandResult.Rejected rej) {
      throw new IllegalStateException("creating namespace " + ns + ": " + rej.status().getMessage());
    }
  }

  /**
   * A create that retries while its namespace is not yet known on the Deployment's partition
   * (namespaces reach the other partitions through a global view, a moment later).
   */
  private java.util.concurrent.CompletableFuture<CommandResult> createRetrying(CommandClient client, Deployment d,
      int attemptsLeft) {
    return client.create(d).thenCompose(r -> {
      if (r instanceof CommandResult.Rejected rej && rej.status().getCode() == 404 && attemptsLeft > 0) {
        return java.util.concurrent.CompletableFuture.supplyAsync(() -> null,
                java.util.concurrent.CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS))
            .thenCompose(x -> createRetrying(client, Deployment.newBuilder(d).build(), attemptsLeft - 1));
      }
      return java.util.concurrent.CompletableFuture.completedFuture(r);
    });
  }

  /**
   * Sets the revision env var to 2 on the cached Deployment; a conflict (the controller wrote the
   * status meanwhile) retries from the cache's newer copy.
   */
  private java.util.concurrent.CompletableFuture<CommandResult> updateTemplate(CommandClient client,
      Informer<Deployment> deployments, List<String> namespaces, int i) {
    return updateTemplate(client, deployments, namespaces.get(i % namespaces.size()), name(i), 50);
  }

  private java.util.concurrent.CompletableFuture<CommandResult> updateTemplate(CommandClient client,
      Informer<Deployment> deployments, String ns, String name, int attemptsLeft) {
    Deployment cached = deployments.get(ns, name).orElse(null);
    if (cached == null) {
      return java.util.concurrent.CompletableFuture.failedFuture(
          new IllegalStateException("Deployment " + ns + "/" + name + " is not in the cache"));
    }
    Deployment d = Deployment.newBuilder(cached).build();
    d.getSpec().getTemplate().getSpec().getContainers().get(0)
        .setEnv(List.of(EnvVar.newBuilder().setName(REVISION_ENV).setValue("2").build()));
    return client.update(d).thenCompose(r -> {
      if (r instanceof CommandResult.Rejected rej && rej.status().getCode() == 409 && attemptsLeft > 0) {
        return java.util.concurrent.CompletableFuture.supplyAsync(() -> null,
                java.util.concurrent.CompletableFuture.delayedExecutor(20, TimeUnit.MILLISECONDS))
            .thenCompose(x -> updateTemplate(client, deployments, ns, name, attemptsLeft - 1));
      }
      return java.util.concurrent.CompletableFuture.completedFuture(r);
    });
  }

  private static final Deployment TEMPLATE = KubeJson.<Deployment>fromText(Kinds.DEPLOYMENT, """
      metadata: {name: template, namespace: default}
      spec:
        replicas: 1
        selector: {matchLabels: {app: bench, deployment: template}}
        template:
          metadata: {labels: {app: bench, deployment: template}}
          spec:
            schedulerName: capstan-bench-unscheduled
            terminationGracePeriodSeconds: 0
            containers:
            - name: app
              image: registry.k8s.io/pause:3.10
              env: [{name: BENCH_REVISION, value: "1"}]
              resources: {requests: {cpu: 10m, memory: 16Mi}}
      """).object();

  static String name(int i) {
    return "d-" + i;
  }

  /** Deployment i: {@code d-i} in namespace i mod k, R replicas, a pod template nobody schedules. */
  Deployment deployment(List<String> namespaces, int i) {
    Deployment d = Deployment.newBuilder(TEMPLATE).build();
    d.getMetadata().setName(name(i));
    d.getMetadata().setNamespace(namespaces.get(i % namespaces.size()));
    d.getSpec().setReplicas(s.replicas());
    java.util.Map<String, String> labels = java.util.Map.of("app", "bench", "deployment", name(i));
    d.getSpec().getSelector().setMatchLabels(labels);
    d.getSpec().getTemplate().getMetadata().setLabels(labels);
    return d;
  }

  static String revision(Pod p) {
    var env = p.getSpec().getContainers().get(0).getEnv();
    return env == null ? null : env.stream().filter(e -> REVISION_ENV.equals(e.getName())).map(EnvVar::getValue)
        .findFirst().orElse(null);
  }
}
