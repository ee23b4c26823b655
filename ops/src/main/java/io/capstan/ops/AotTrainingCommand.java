package io.capstan.ops;

import io.capstan.loadtests.api.ApiBench;
import io.capstan.nodeagent.fleet.HollowFleetConfig;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/**
 * The workload {@code ./capstan} trains the JVM's start-up cache with (JDK 25's AOT cache, JEP
 * 483/515): {@code capstan up} in this process on a fresh data dir and free ports, with hollow
 * nodes, then the Kubernetes API as a user drives it (creates, gets, lists and watches of
 * ConfigMaps; a Deployment of pods the controllers create, the scheduler binds to the hollow nodes
 * and their agents run; its deletion), then an orderly stop. The JVM records the classes this
 * loads and links and the methods' profiles, so the next start finds them ready. Hidden from the
 * help: the launcher runs it after each build.
 */
@Command(name = "aot-training", hidden = true, mixinStandardHelpOptions = true,
    description = "The workload ./capstan trains the JVM's start-up cache with (run by the launcher after a build).")
final class AotTrainingCommand implements Callable<Integer> {
  private static final Pattern READY = Pattern.compile("capstan ready: .*kubeconfig=(\\S+)");

  @Option(names = "--data-dir", paramLabel = "DIR", required = true,
      description = "A fresh directory for the training's cluster (the launcher removes it afterwards).")
  Path dataDir;

  @Option(names = "--hollow-nodes", defaultValue = "10", description = "Hollow nodes (default: ${DEFAULT-VALUE}).")
  int hollowNodes;

  @Option(names = "--api-seconds", defaultValue = "8", description = "API mix of creates, gets, lists and watches (default: ${DEFAULT-VALUE}).")
  int apiSeconds;

  @Option(names = "--replicas", defaultValue = "100", description = "Pods of the Deployment (default: ${DEFAULT-VALUE}).")
  int replicas;

  @Option(names = "--local-pods", defaultValue = "8",
      description = "Pods started on this machine's node (real containers when it runs runc) so the path from a bind to a"
          + " running container is trained too; 0 for none (default: ${DEFAULT-VALUE}).")
  int localPods;

  @Option(names = "--ready-timeout-seconds", defaultValue = "180", description = "Longest wait for up (default: ${DEFAULT-VALUE}).")
  int readyTimeoutSeconds;

  @Override
  public Integer call() throws Exception {
    if (hollowNodes <= 0 || apiSeconds <= 0 || replicas <= 0 || readyTimeoutSeconds <= 0 || localPods < 0) {
      System.err.println("--hollow-nodes, --api-seconds, --replicas and --ready-timeout-seconds must be positive, --local-pods at least 0");
      return 2;
    }
    long t0 = System.nanoTime();
    Lines lines = new Lines();
    AtomicInteger upStatus = new AtomicInteger(-1);
    Thread up = new Thread(() -> {
      CommandLine cl = Capstan.commandLine();
      cl.setOut(new PrintWriter(lines, true));
      upStatus.set(cl.execute("up", "--data-dir", dataDir.toString(), "--kafka-port", "0", "--api-port", "0",
          "--metrics-port", "0", "--hollow-nodes", String.valueOf(hollowNodes)));
      lines.end();
    }, "aot-training-up");
    up.start();
    Path kubeconfig = null;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(readyTimeoutSeconds);
    while (kubeconfig == null) {
      String line = lines.queue.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (line == null || line == Lines.END) {
        System.err.println("training: capstan up did not get ready" + (line == null ? " within "
            + readyTimeoutSeconds + " s" : " (exit " + upStatus.get() + ")"));
        stop(up);
        return 1;
      }
      Matcher m = READY.matcher(line);
      if (m.lookingAt()) {
        kubeconfig = Path.of(m.group(1));
      }
    }
    System.err.printf("training: up ready in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    try {
      ApiBench.Result api = new ApiBench(new ApiBench.Settings(kubeconfig, 16, 150, 150, 2, 100, 4, 0, apiSeconds,
          ApiBench.Settings.DEFAULT_PARTITIONS, 1), System.err).run();
      System.err.println("training: " + api.jsonLine());
      Pods pods = new Pods(kubeconfig);
      pods.run(replicas, hollowNodes);
      pods.runLocally(localPods);
    } finally {
      stop(up);
    }
    System.err.printf("training: done in %.1f s (up exit %d)%n", (System.nanoTime() - t0) / 1e9, upStatus.get());
    return upStatus.get() == 0 ? 0 : 1;
  }

  /** Stops the in-process up as SIGTERM would, and waits for its orderly stop. */
  private static void stop(Thread up) throws InterruptedException {
    if (!up.isAlive()) {
      return;
    }
    Signal.raise(new Signal("TERM"));
    up.join(TimeUnit.MINUTES.toMillis(2));
  }

  /** up's stdout, line by line, also copied to this process's stdout. */
  private static final class Lines extends Writer {
    static final String END = new String("end");
    final BlockingQueue<String> queue = new LinkedBlockingQueue<>();
    private final StringBuilder partial = new StringBuilder();

    @Override
    public synchronized void write(char[] buf, int off, int len) {
      for (int i = off; i < off + len; i++) {
        if (buf[i] == '\n') {
          String line = partial.toString();
          partial.setLength(0);
          System.out.println(line);
          queue.add(line);
        } else if (buf[i] != '\r') {
          partial.append(buf[i]);
        }
      }
    }

    @Override
    public void flush() {
      System.out.flush();
    }

    @Override
    public void close() {}

    void end() {
      queue.add(END);
    }
  }

  /**
   * A Deployment whose pods go to the hollow nodes (never to this machine's node: no real
   * container starts), waited for until its replicas are available, then deleted with its pods.
   */
  private static final class Pods {
    private final HttpClient http;
    private final URI server;
    private final String token;

    Pods(Path kubeconfig) throws Exception {
      String text = Files.readString(kubeconfig);
      server = URI.create(field(text, "server"));
      token = field(text, "token");
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      int i = 0;
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(
          new ByteArrayInputStream(Base64.getDecoder().decode(field(text, "certificate-authority-data"))))) {
        trust.setCertificateEntry("ca-" + i++, c);
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(null, tmf.getTrustManagers(), null);
      http = HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(10)).build();
    }

    private static String field(String text, String name) {
      Matcher m = Pattern.compile("\\b" + name + ":\\s*(\\S+)").matcher(text);
      if (!m.find()) {
        throw new IllegalArgumentException("the kubeconfig has no " + name);
      }
      return m.group(1);
    }

    void run(int replicas, int nodes) throws Exception {
      String path = "/apis/apps/v1/namespaces/default/deployments";
      String deployment = """
          {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"aot-training"},
           "spec":{"replicas":%d,"selector":{"matchLabels":{"app":"aot-training"}},
            "template":{"metadata":{"labels":{"app":"aot-training"}},
             "spec":{"nodeSelector":{"%s":"true"},
              "containers":[{"name":"c","image":"busybox","command":["sleep","3600"],
               "resources":{"requests":{"cpu":"10m","memory":"16Mi"}}}]}}}}
          """.formatted(replicas, HollowFleetConfig.HOLLOW_LABEL);
      long t0 = System.nanoTime();
      send("POST", path, deployment);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      int available = 0;
      while (available < replicas && System.nanoTime() < deadline) {
        Thread.sleep(500);
        Matcher m = Pattern.compile("\"availableReplicas\"\\s*:\\s*(\\d+)")
            .matcher(send("GET", path + "/aot-training", null));
        available = m.find() ? Integer.parseInt(m.group(1)) : 0;
        send("GET", "/api/v1/namespaces/default/pods?labelSelector=app%3Daot-training&limit=50", null);
      }
      System.err.printf("training: %d of %d pods on %d hollow nodes available after %.1f s%n", available, replicas,
          nodes, (System.nanoTime() - t0) / 1e9);
      send("DELETE", path + "/aot-training", "{\"propagationPolicy\":\"Background\"}");
      awaitPodsGone("aot-training", 20);
      System.err.printf("training: deployment deleted after %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }

    /**
     * Pods bound to this machine's node by name (no scheduler), waited for until Running, then
     * deleted at once: the node agent's path from a pod to a container (image, bundle, network,
     * runc, status) is what a user's first pods run, and the JIT profiles it here. The image is the
     * one the node agent makes from the host's static busybox, so nothing is pulled. Best effort:
     * a machine without runc or busybox runs them hollow or not at all, and training goes on.
     */
    void runLocally(int count) throws Exception {
      if (count == 0) {
        return;
      }
      String node = io.capstan.nodeagent.node.MachineInfo.readHostname();
      String path = "/api/v1/namespaces/default/pods";
      long t0 = System.nanoTime();
      for (int i = 0; i < count; i++) {
        send("POST", path, """
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"aot-training-local-%d","labels":{"app":"aot-training-local"}},
             "spec":{"nodeName":"%s","terminationGracePeriodSeconds":0,
              "containers":[{"name":"c","image":"%s","command":["sleep","3600"]}]}}
            """.formatted(i, node, io.capstan.nodeagent.image.BusyboxImage.NAME));
        Thread.sleep(200);
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      int running = 0;
      while (running < count && System.nanoTime() < deadline) {
        Thread.sleep(500);
        Matcher m = Pattern.compile("\"phase\"\\s*:\\s*\"Running\"")
            .matcher(send("GET", path + "?labelSelector=app%3Daot-training-local", null));
        running = 0;
        while (m.find()) {
          running++;
        }
      }
      System.err.printf("training: %d of %d pods running on node %s after %.1f s%n", running, count, node,
          (System.nanoTime() - t0) / 1e9);
      send("DELETE", path + "?labelSelector=app%3Daot-training-local&gracePeriodSeconds=0", null);
      awaitPodsGone("aot-training-local", 30);
      System.err.printf("training: local pods deleted after %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }

    /** Waits (at most {@code seconds}) until no pod labelled {@code app=<app>} is listed any more. */
    private void awaitPodsGone(String app, int seconds) throws IOException, InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      String pods;
      do {
        Thread.sleep(500);
        pods = send("GET", "/api/v1/namespaces/default/pods?labelSelector=app%3D" + app, null);
      } while (pods.contains("\"name\":\"" + app + "-") && System.nanoTime() < deadline);
    }

    private String send(String method, String path, String body) throws IOException, InterruptedException {
      HttpRequest.Builder b = HttpRequest.newBuilder(server.resolve(path)).timeout(Duration.ofSeconds(30))
          .header("Authorization", "Bearer " + token).header("Accept", "application/json");
      if (body != null) {
        b.header("Content-Type", "application/json");
      }
      HttpRequest request = b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
          : HttpRequest.BodyPublishers.ofString(body)).build();
      HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() / 100 != 2) {
        throw new IOException(method + " " + path + ": HTTP " + r.statusCode() + ": " + r.body());
      }
      return r.body();
    }
  }
}
