package io.capstan.loadtests.controllers;

import io.capstan.api.DaemonSet;
import io.capstan.api.DaemonSetStatus;
import io.capstan.api.Deployment;
import io.capstan.api.Namespace;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.StatefulSet;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.nodeagent.fleet.HollowFleet;
import io.capstan.nodeagent.fleet.HollowFleetConfig;
import io.capstan.scheduler.config.SchedulerConfig;
import io.capstan.scheduler.service.SchedulerInstance;
import io.capstan.stateviews.bootstrap.SystemNamespaces;
import io.capstan.stateviews.informer.Informer;
import io.capstan.loadtests.stack.BenchStack;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;

/**
 * The DaemonSet path at scale (issue 18): N hollow nodes (kubemark-style simulated node agents)
 * in this process and a scheduler, then one DaemonSet, whose N pods the controller creates aimed
 * at each node, the scheduler binds and the hollow kubelets start; then, as the baseline on the
 * same nodes and the same path, one Deployment of N replicas. Measured for each: until all N pods
 * exist, and until all are available ({@code numberAvailable} / {@code availableReplicas}).
 * The DaemonSet goes first, so the baseline does not run on a colder JIT than it. Between the two,
 * when asked, S StatefulSets (Parallel) of R replicas each on the same nodes, measured until all
 * their pods exist and until every set has all its replicas ready ({@code readyReplicas}).
 */
final class DaemonSetPhase {
  /**
   * The pod spec both workloads' templates share (indented under {@code template:} where used).
   * No ServiceAccount token volume: the bench's stack has no cluster CA, so nobody publishes the
   * {@code kube-root-ca.crt} ConfigMap that volume projects, and a hollow kubelet, like kubelet,
   * would wait for it for ever.
   */
  private static final String TEMPLATE_SPEC = """
      spec:
        terminationGracePeriodSeconds: 0
        automountServiceAccountToken: false
        containers:
        - name: agent
          image: registry.k8s.io/pause:3.10
          resources: {requests: {cpu: 10m, memory: 16Mi}}
      """;

  /** The StatefulSets' figures: seconds from the first create until all pods exist and until all are ready. */
  record StatefulSets(int sets, int replicas, double allPodsSeconds, double readySeconds) {
    double podsPerSecond() {
      return sets * replicas / readySeconds;
    }
  }

  /** The figures: seconds from the create until all pods exist and until all are available; statefulSets null when not run. */
  record Result(int nodes, double daemonSetAllPodsSeconds, double daemonSetReadySeconds,
      double deploymentAllPodsSeconds, double deploymentReadySeconds, double registerSeconds,
      StatefulSets statefulSets) {
    double daemonSetPodsPerSecond() {
      return nodes / daemonSetReadySeconds;
    }

    double deploymentPodsPerSecond() {
      return nodes / deploymentReadySeconds;
    }
  }

  private final BenchStack stack;
  private final CommandClient client;
  private final MeterRegistry registry;
  private final PrintStream progress;
  private final String namespace;
  private final String prefix;
  private final int nodes;
  private final int statefulSets;
  private final int statefulSetReplicas;
  private final Duration timeout;
  /** The pods informer of the running phase, for timeout messages. */
  private Informer<Pod> podsSeen;

  DaemonSetPhase(BenchStack stack, CommandClient client, MeterRegistry registry,
      PrintStream progress, String runId, int nodes, int statefulSets, int statefulSetReplicas, Duration timeout) {
    this.stack = stack;
    this.client = client;
    this.registry = registry;
    this.progress = progress;
    this.namespace = "bench-" + runId + "-daemons";
    this.prefix = "bench-" + runId;
    this.nodes = nodes;
    this.statefulSets = statefulSets;
    this.statefulSetReplicas = statefulSetReplicas;
    this.timeout = timeout;
  }

  Result run(Informer<Pod> pods, Informer<DaemonSet> sets, Informer<StatefulSet> statefulSetInformer,
      Informer<Deployment> deployments) throws Exception {
    podsSeen = pods;
    Path dataDir = Files.createTempDirectory("capstan-bench-hollow-");
    try (HollowFleet fleet = new HollowFleet(HollowFleetConfig.defaults(stack.kafka(), stack.layout(), nodes, dataDir)
            .withPrefix(prefix), registry);
        SchedulerInstance scheduler = new SchedulerInstance(stack.kafka(), stack.layout(), SchedulerConfig.defaults(),
            registry)) {
      progress.printf("bench: starting %d hollow nodes and a scheduler%n", nodes);
      long r0 = System.nanoTime();
      fleet.start(timeout, (done, total) -> {
        if (done % 250 == 0 || done == total) {
          progress.printf("bench: %d of %d hollow nodes registered%n", done, total);
        }
      });
      scheduler.start(BenchStack.START_TIMEOUT);
      SystemNamespaces.ensure(client, BenchStack.START_TIMEOUT); // kube-node-lease, for the nodes' Leases
      double registerSeconds = (System.nanoTime() - r0) / 1e9;
      Namespace ns = Namespace.newBuilder().setMetadata(ObjectMeta.newBuilder().setName(namespace).build()).build();
      accepted(client.create(ns).get(30, TimeUnit.SECONDS), "namespace " + namespace);

      DaemonSet ds = KubeJson.<DaemonSet>fromText(Kinds.DAEMON_SET, """
          metadata: {name: agent, namespace: NS}
          spec:
            selector: {matchLabels: {app: bench-agent}}
            template:
              metadata: {labels: {app: bench-agent}}
          """.replace("NS", namespace) + TEMPLATE_SPEC.indent(4)).object();
      progress.printf("bench: one DaemonSet on %d hollow nodes%n", nodes);
      long t0 = System.nanoTime();
      accepted(createRetrying(ds), "DaemonSet");
      await("all " + nodes + " daemon pods to exist", t0, () -> owned(pods, "DaemonSet") >= nodes,
          () -> owned(pods, "DaemonSet"));
      long dsAll = System.nanoTime();
      await("the DaemonSet to be available on every node", t0, () -> sets.get(namespace, "agent")
          .map(d -> d.getStatus() != null && available(d.getStatus()) >= nodes).orElse(false),
          () -> sets.get(namespace, "agent").map(d -> d.getStatus() == null ? 0 : available(d.getStatus())).orElse(0));
      long dsReady = System.nanoTime();
      progress.printf(Locale.ROOT, "bench: DaemonSet: all %d pods exist after %.1f s, available after %.1f s%n", nodes,
          (dsAll - t0) / 1e9, (dsReady - t0) / 1e9);

      StatefulSets sts = statefulSets > 0 ? statefulSets(pods, statefulSetInformer) : null;

      Deployment d = KubeJson.<Deployment>fromText(Kinds.DEPLOYMENT, """
          metadata: {name: baseline, namespace: NS}
          spec:
            replicas: N
            selector: {matchLabels: {app: bench-baseline}}
            template:
              metadata: {labels: {app: bench-baseline}}
          """.replace("NS", namespace).replace("N\n", nodes + "\n") + TEMPLATE_SPEC.indent(4)).object();
      progress.printf("bench: one Deployment of %d replicas on the same nodes (the baseline)%n", nodes);
      long t1 = System.nanoTime();
      accepted(client.create(d).get(60, TimeUnit.SECONDS), "Deployment");
      await("all " + nodes + " replicas to exist", t1, () -> owned(pods, "ReplicaSet") >= nodes,
          () -> owned(pods, "ReplicaSet"));
      long depAll = System.nanoTime();
      await("the Deployment to be available", t1, () -> deployments.get(namespace, "baseline")
          .map(x -> x.getStatus() != null && x.getStatus().getAvailableReplicas() != null
              && x.getStatus().getAvailableReplicas() >= nodes).orElse(false),
          () -> deployments.get(namespace, "baseline").map(x -> x.getStatus() == null
              || x.getStatus().getAvailableReplicas() == null ? 0 : x.getStatus().getAvailableReplicas()).orElse(0));
      long depReady = System.nanoTime();
      progress.printf(Locale.ROOT, "bench: Deployment: all %d pods exist after %.1f s, available after %.1f s%n", nodes,
          (depAll - t1) / 1e9, (depReady - t1) / 1e9);
      return new Result(nodes, (dsAll - t0) / 1e9, (dsReady - t0) / 1e9, (depAll - t1) / 1e9, (depReady - t1) / 1e9,
          registerSeconds, sts);
    } finally {
      BenchStack.deleteTree(dataDir);
    }
  }

  /** S StatefulSets of R replicas, Parallel, created at once: until all S×R pods exist, and until every set is ready. */
  private StatefulSets statefulSets(Informer<Pod> pods, Informer<StatefulSet> sets) throws Exception {
    int total = statefulSets * statefulSetReplicas;
    progress.printf("bench: %d StatefulSets (Parallel) of %d replicas (%d pods) on the same nodes%n", statefulSets,
        statefulSetReplicas, total);
    List<CompletableFuture<CommandResult>> creates = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int i = 0; i < statefulSets; i++) {
      StatefulSet set = KubeJson.<StatefulSet>fromText(Kinds.STATEFUL_SET, """
          metadata: {name: db-I, namespace: NS}
          spec:
            replicas: R
            podManagementPolicy: Parallel
            serviceName: db
            selector: {matchLabels: {app: bench-db-I}}
            template:
              metadata: {labels: {app: bench-db-I}}
          """.replace("NS", namespace).replace("-I", "-" + i).replace("R\n", statefulSetReplicas + "\n")
          + TEMPLATE_SPEC.indent(4)).object();
      creates.add(client.create(set));
    }
    for (CompletableFuture<CommandResult> f : creates) {
      accepted(f.get(60, TimeUnit.SECONDS), "StatefulSet");
    }
    await("all " + total + " StatefulSet pods to exist", t0, () -> owned(pods, "StatefulSet") >= total,
        () -> owned(pods, "StatefulSet"));
    long all = System.nanoTime();
    await("every StatefulSet to be ready", t0, () -> readyReplicas(sets) >= total, () -> readyReplicas(sets));
    long ready = System.nanoTime();
    progress.printf(Locale.ROOT, "bench: StatefulSets: all %d pods exist after %.1f s, ready after %.1f s%n", total,
        (all - t0) / 1e9, (ready - t0) / 1e9);
    return new StatefulSets(statefulSets, statefulSetReplicas, (all - t0) / 1e9, (ready - t0) / 1e9);
  }

  private int readyReplicas(Informer<StatefulSet> sets) {
    int n = 0;
    for (StatefulSet s : sets.list(namespace)) {
      if (s.getStatus() != null && s.getStatus().getReadyReplicas() != null) {
        n += s.getStatus().getReadyReplicas();
      }
    }
    return n;
  }

  private static int available(DaemonSetStatus st) {
    return st.getNumberAvailable() == null ? 0 : st.getNumberAvailable();
  }

  /** Live pods in the phase's namespace whose controller is of this kind. */
  private int owned(Informer<Pod> pods, String ownerKind) {
    int n = 0;
    for (Pod p : pods.list(namespace)) {
      if (p.getMetadata().getDeletionTimestamp() == null && p.getMetadata().getOwnerReferences() != null
          && p.getMetadata().getOwnerReferences().stream().anyMatch(r -> ownerKind.equals(r.getKind()))) {
        n++;
      }
    }
    return n;
  }

  private CommandResult createRetrying(DaemonSet ds) throws Exception {
    for (int i = 0; ; i++) {
      CommandResult r = client.create(DaemonSet.newBuilder(ds).build()).get(60, TimeUnit.SECONDS);
      if (!(r instanceof CommandResult.Rejected rej && rej.status().getCode() == 404) || i >= 100) {
        return r; // a 404: the namespace has not reached the DaemonSet's partition yet
      }
      Thread.sleep(100);
    }
  }

  private static void accepted(CommandResult r, String what) {
    if (r instanceof CommandResult.Rejected rej) {
      throw new IllegalStateException(what + " refused: " + rej.status().getMessage());
    }
  }

  /** The phase's pods by where they are: bound or not, and their phase, for a timeout's message. */
  private String podSummary(Informer<Pod> pods) {
    java.util.Map<String, Integer> by = new java.util.TreeMap<>();
    for (Pod p : pods.list(namespace)) {
      String where = p.getSpec().getNodeName() == null ? "unbound" : "bound";
      String phase = p.getStatus() == null || p.getStatus().getPhase() == null ? "no phase" : p.getStatus().getPhase();
      by.merge(where + "/" + phase, 1, Integer::sum);
    }
    return by.toString();
  }

  private void await(String what, long start, BooleanSupplier done, IntSupplier count) throws InterruptedException {
    long deadline = start + timeout.toNanos();
    long lastReport = System.nanoTime();
    while (!done.getAsBoolean()) {
      long now = System.nanoTime();
      if (now > deadline) {
        throw new IllegalStateException("daemonset phase: timed out after " + timeout.toSeconds() + " s waiting for "
            + what + " (at " + count.getAsInt() + "; the phase's pods " + podSummary(podsSeen) + ")");
      }
      if (now - lastReport > TimeUnit.SECONDS.toNanos(5)) {
        progress.printf(Locale.ROOT, "bench: %.0f s waiting for %s: %d so far, queues %s%n", (now - start) / 1e9, what,
            count.getAsInt(), MeterTally.queueDepths(registry));
        lastReport = now;
      }
      Thread.sleep(50);
    }
  }
}
