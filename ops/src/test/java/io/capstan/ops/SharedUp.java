package io.capstan.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.stream.Stream;
import org.junit.jupiter.api.ClassOrderer;
import org.junit.jupiter.api.ClassOrdererContext;

/**
 * A {@code capstan up} shared by the kubectl scenarios of this test JVM (surefire runs the
 * module's classes in one JVM), of one of two {@link Kind}s: with a real runc node, or a hollow
 * one; started on first use, stopped with SIGTERM when the other kind is started or the JVM exits.
 * Each scenario gets its own namespace, made before and deleted after it, and a
 * kubeconfig whose context names that namespace, so its kubectl commands without {@code -n}
 * work there; it names its cluster-scoped objects so they don't meet another scenario's, and
 * deletes what it makes. Scenarios that test {@code up} itself (its start, its stop, a kill) start
 * their own with {@link RuncUp#scenario}.
 */
final class SharedUp {
  private static final Duration NAMESPACE_GONE = Duration.ofMinutes(2);

  /** Which shared cluster. */
  enum Kind {
    /**
     * {@code up --hollow-nodes 20}, whose local node runs hollow containers too (the child is told
     * it is not root): 21 schedulable nodes, no real container.
     */
    HOLLOW,
    /** {@code up} with a real runc node, as {@link RuncUp#start} starts it. */
    RUNC
  }

  private static Kind kind;
  private static RuncUp.Cluster cluster;
  private static ChildCapstan up;
  private static String metrics;

  private SharedUp() {}

  /** Marks a test class whose scenarios run on a shared cluster of this kind. */
  @java.lang.annotation.Retention(java.lang.annotation.RetentionPolicy.RUNTIME)
  @java.lang.annotation.Target(java.lang.annotation.ElementType.TYPE)
  @interface Uses {
    Kind value();
  }

  /**
   * The module's class order (junit-platform.properties): the classes that {@link Uses} a shared
   * cluster last, grouped by kind, so each is started once, after the tests that start their own
   * {@code up}, and idles during none of them; the others keep the order surefire gives.
   */
  public static final class Last implements ClassOrderer {
    @Override
    public void orderClasses(ClassOrdererContext context) {
      context.getClassDescriptors().sort(Comparator.comparingInt(
          d -> d.findAnnotation(Uses.class).map(u -> 1 + u.value().ordinal()).orElse(0)));
    }
  }

  /**
   * Runs {@code scenario} in namespace {@code name} of the shared cluster, starting the cluster
   * when it is the first: fails naming what to install when runc or kubectl is missing; afterwards
   * deletes the namespace, which must go with everything in it. When the scenario fails,
   * {@code onFailure} (if any) runs first, and the namespace is still deleted.
   */
  static void scenario(Kind kind, String name, RuncUp.Scenario scenario, RuncUp.Scenario onFailure)
      throws Exception {
    RuncUp.Cluster c = open(kind, name);
    try {
      scenario.run(c);
    } catch (Throwable t) {
      if (onFailure != null) {
        try {
          onFailure.run(c);
        } catch (Exception e) {
          t.addSuppressed(e);
        }
      }
      try {
        close(c);
      } catch (Throwable e) {
        t.addSuppressed(e);
      }
      throw t;
    }
    close(c);
  }

  static void scenario(Kind kind, String name, RuncUp.Scenario scenario) throws Exception {
    scenario(kind, name, scenario, null);
  }

  /**
   * Namespace {@code name} on the shared cluster of this kind (started when it is the first), for
   * a class that keeps it across its tests: its work dir and a kubeconfig working in it.
   */
  static RuncUp.Cluster open(Kind kind, String name) throws Exception {
    RuncUp.Cluster shared = cluster(kind);
    Path work = io.capstan.stateviews.testing.KafkaFixture.tempDir(name);
    KubectlRunner.kubectl(shared.kubeconfig(), "create", "namespace", name);
    Path kubeconfig = Files.copy(shared.kubeconfig(), work.resolve("kubeconfig"));
    KubectlRunner.kubectl(kubeconfig, "config", "set-context", "--current", "--namespace=" + name);
    return new RuncUp.Cluster(work, shared.data(), shared.api(), kubeconfig, name);
  }

  /**
   * The {@code host:port} of the metrics endpoint ({@code /metrics}) of the shared cluster of this
   * kind, started when it is the first.
   */
  static String metrics(Kind kind) throws Exception {
    cluster(kind);
    return metrics;
  }

  /** Deletes the namespace {@link #open} made, which must go with everything in it. */
  static void close(RuncUp.Cluster c) throws Exception {
    KubectlRunner.Result gone = KubectlRunner.run(c.kubeconfig(), "delete", "namespace", c.namespace(), "--wait=true",
        "--timeout=" + NAMESPACE_GONE.toSeconds() + "s");
    assertEquals(0, gone.exit(), "namespace " + c.namespace() + " deleted with what was left in it: " + gone
        + KubectlRunner.run(c.kubeconfig(), "get", "all", "-n", c.namespace()));
  }

  /**
   * The shared cluster of this kind (its kubeconfig's context at the default namespace), started
   * when first asked for; the other kind's is stopped first.
   */
  private static synchronized RuncUp.Cluster cluster(Kind wanted) throws Exception {
    if (up != null && !up.alive()) {
      fail("the shared capstan up exited " + up.awaitExit(Duration.ZERO) + "\nstdout:\n"
          + String.join("\n", up.stdout()) + "\nstderr:\n" + up.stderr());
    }
    if (cluster != null && kind == wanted) {
      return cluster;
    }
    if (cluster != null) {
      stop(kind, up, cluster.work(), cluster.data());
      cluster = null;
      up = null;
    }
    if (wanted == Kind.RUNC) {
      RuncUp.requireRunc();
    }
    if (!Files.isExecutable(Path.of("/usr/bin/kubectl"))) {
      fail("kubectl is needed: apt-get install kubernetes-client");
    }
    // Not KafkaFixture.tempDir: its exit hook would delete the data dir while up still stops in ours.
    Path work = Files.createTempDirectory("capstan-shared-up-");
    Path data = work.resolve("data");
    ChildCapstan child = wanted == Kind.RUNC ? RuncUp.start(work, data)
        : ChildCapstan.start(work, List.of("-Duser.name=capstan-test"), "up", "--data-dir", data.toString(),
            "--kafka-port", "0", "--metrics-port", "0", "--api-port", "0", "--partitions", "2", "--hollow-nodes", "20",
            "--service-proxy", "dry");
    Thread hook = new Thread(() -> stop(wanted, child, work, data), "shared-up-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    Matcher ready = child.awaitLine("capstan ready: api=(\\S+) kubeconfig=(\\S+) .*metrics=http://(\\S+)/metrics",
        ChildCapstan.UP_READY);
    if (wanted == Kind.HOLLOW) {
      KubectlRunner.await(Path.of(ready.group(2)), Duration.ofMinutes(2), "21 nodes",
          out -> out.split("\\s+").length == 21, "get", "nodes", "-o", "jsonpath={.items[*].metadata.name}");
    }
    kind = wanted;
    up = child;
    metrics = ready.group(3);
    cluster = new RuncUp.Cluster(work, data, ready.group(1), Path.of(ready.group(2)), "default");
    return cluster;
  }

  /**
   * At JVM exit: SIGTERM, bounded below surefire's wait for its fork to exit; what is left (an
   * exit status other than 0, runc containers) is printed, as no test can fail any more.
   */
  private static void stop(Kind kind, ChildCapstan child, Path work, Path data) {
    if (!child.alive()) {
      return; // stopped before, when the other kind started
    }
    try {
      int status = child.terminate(Duration.ofSeconds(25));
      List<String> left = kind == Kind.RUNC ? RuncUp.runcContainers(data) : List.of();
      if (status != 0 || !left.isEmpty()) {
        System.err.println("the shared capstan up exited " + status + ", leaving containers " + left
            + "; its work dir " + work + " is kept\nstderr:\n" + child.stderr());
        return;
      }
      if (RuncUp.mountsUnder(data).isEmpty()) {
        try (Stream<Path> all = Files.walk(work)) {
          all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
    } catch (Throwable t) {
      System.err.println("stopping the shared capstan up: " + t);
      try {
        child.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
