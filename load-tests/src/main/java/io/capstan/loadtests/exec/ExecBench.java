package io.capstan.loadtests.exec;

import io.capstan.api.Container;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodSpec;
import io.capstan.gateway.security.CertificateAuthority;
import io.capstan.loadtests.api.InProcessStack;
import io.capstan.log.DeleteOptions;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.nodeagent.NodeAgent;
import io.capstan.nodeagent.NodeAgentConfig;
import io.capstan.nodeagent.image.BusyboxImage;
import io.capstan.nodeagent.runtime.ContainerInfo;
import io.capstan.nodeagent.runtime.runc.RuncRuntime;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.net.PemKeyCertOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The exec round trip through the API, as {@code kubectl exec POD -- true} makes it: a WebSocket
 * ({@code v5.channel.k8s.io}) to the gateway's {@code pods/exec}, tunnelled to the node agent,
 * which runs {@code runc exec}; done when the error channel's Status has come and the socket
 * closed. In the same run, interleaved with it, the floor: a bare {@code runc exec CONTAINER
 * true} of the same container. Everything runs in this process (embedded broker, processor,
 * gateway, a runc node agent) but runc and the container. Needs root, runc and busybox-static.
 */
public final class ExecBench {
  static final String NODE = "bench-exec-node";
  static final String POD = "bench-exec";

  /**
   * @param runs          measured exec round trips (and as many bare runc execs)
   * @param warmupSeconds unmeasured round trips first, for about this long (the JIT)
   */
  public record Settings(int runs, int warmupSeconds) {
    public static final int DEFAULT_RUNS = 200;
    public static final int DEFAULT_WARMUP_SECONDS = 20;

    public Settings {
      if (runs < 1 || warmupSeconds < 0) {
        throw new IllegalArgumentException("--runs must be at least 1 and --warmup-seconds not negative");
      }
    }
  }

  /** The figures; the floor is met when the API's p99 is at most 3 x the bare p99 + 50 ms. */
  public record Result(int runs, double apiP50Ms, double apiP99Ms, double runcP50Ms, double runcP99Ms,
      double warmupSeconds) {
    public double floorP99Ms() {
      return 3 * runcP99Ms + 50;
    }

    public boolean floorMet() {
      return apiP99Ms <= floorP99Ms();
    }

    public String json() {
      return String.format(Locale.ROOT, "{\"bench\":\"exec\",\"runs\":%d,\"api_p50_ms\":%.1f,\"api_p99_ms\":%.1f,"
          + "\"runc_exec_p50_ms\":%.1f,\"runc_exec_p99_ms\":%.1f,\"floor_p99_ms\":%.1f,\"floor_met\":%s,"
          + "\"warmup_s\":%.1f}", runs, apiP50Ms, apiP99Ms, runcP50Ms, runcP99Ms, floorP99Ms(), floorMet(),
          warmupSeconds);
    }
  }

  private ExecBench() {}

  public static Result run(Settings s, PrintStream progress) throws Exception {
    RuncRuntime.machineProblem().ifPresent(p -> {
      throw new IllegalStateException(p);
    });
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (InProcessStack stack = InProcessStack.start(2, 1, progress)) {
      Path nodeDir = stack.dir().resolve("node");
      Vertx vertx = Vertx.vertx();
      try (CommandClient client = CommandClient.unshared(CommandClientConfig.defaults(stack.kafka(), stack.layout(),
              "bench-exec"), registry);
          NodeAgent agent = new NodeAgent(NodeAgentConfig.defaults(stack.kafka(), stack.layout(), NODE, nodeDir,
              NodeAgentConfig.RuntimeKind.RUNC).withPort(0).withClientCaFile(CertificateAuthority.caCert(stack.pkiDir())),
              registry)) {
        agent.start(Duration.ofMinutes(2));
        try {
          CommandResult created = client.create(pod()).get(1, TimeUnit.MINUTES);
          if (!(created instanceof CommandResult.Accepted)) {
            throw new IllegalStateException("create of " + POD + " refused: " + created);
          }
          CommandResult bound = client.bind("default", POD, NODE).get(1, TimeUnit.MINUTES);
          if (!(bound instanceof CommandResult.Accepted)) {
            throw new IllegalStateException("bind of " + POD + " refused: " + bound);
          }
          String containerId = awaitRunning(agent);
          CertificateAuthority.ClientCertFiles admin = CertificateAuthority.ensureAdminClient(stack.pkiDir());
          WebSocketClient ws = vertx.createWebSocketClient(new WebSocketClientOptions().setSsl(true).setTrustAll(true)
              .setVerifyHost(false).setKeyCertOptions(new PemKeyCertOptions().setCertPath(admin.cert().toString())
                  .setKeyPath(admin.key().toString())));
          Path runcRoot = nodeDir.resolve("runtime").resolve("runc-state");
          String runc = RuncRuntime.findRunc().orElseThrow();
          awaitFirstExec(ws, stack.apiPort());
          progress.println("bench exec: pod " + POD + " runs; warming up for " + s.warmupSeconds() + " s");
          long w0 = System.nanoTime();
          while (System.nanoTime() - w0 < TimeUnit.SECONDS.toNanos(s.warmupSeconds())) {
            apiExec(ws, stack.apiPort());
            bareExec(runc, runcRoot, containerId);
          }
          double warmed = (System.nanoTime() - w0) / 1e9;
          List<Double> api = new ArrayList<>();
          List<Double> bare = new ArrayList<>();
          for (int i = 0; i < s.runs(); i++) {
            api.add(apiExec(ws, stack.apiPort()));
            bare.add(bareExec(runc, runcRoot, containerId));
          }
          Collections.sort(api);
          Collections.sort(bare);
          return new Result(s.runs(), percentile(api, 0.5), percentile(api, 0.99), percentile(bare, 0.5),
              percentile(bare, 0.99), warmed);
        } finally {
          client.delete(Kinds.POD, "default", POD, DeleteOptions.newBuilder().setGracePeriodSeconds(0L).build());
          long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
          while (!agent.runtime().listContainers().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(200);
          }
        }
      } finally {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
    }
  }

  private static String awaitRunning(NodeAgent agent) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (System.nanoTime() < deadline) {
      Optional<ContainerInfo> c = agent.runtime().listContainers().stream()
          .filter(i -> i.state() == ContainerInfo.State.RUNNING).findFirst();
      if (c.isPresent()) {
        return c.get().id();
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("the pod's container did not start within 2 minutes");
  }

  /** The gateway may not have seen the pod's node yet: the first exec is retried for a while. */
  private static void awaitFirstExec(WebSocketClient ws, int port) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    while (true) {
      try {
        apiExec(ws, port);
        return;
      } catch (Exception e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(200);
      }
    }
  }

  /** One {@code exec -- true} through the API; ms from connecting to the close after the Success status. */
  static double apiExec(WebSocketClient ws, int port) throws Exception {
    long t0 = System.nanoTime();
    CompletableFuture<String> status = new CompletableFuture<>();
    ws.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setSsl(true)
        .setURI("/api/v1/namespaces/default/pods/" + POD + "/exec?command=true&stdout=true&stderr=true")
        .addSubProtocol("v5.channel.k8s.io")).onFailure(status::completeExceptionally).onSuccess(socket -> {
          StringBuilder error = new StringBuilder();
          socket.binaryMessageHandler(m -> {
            if (m.length() > 0 && m.getByte(0) == 3) {
              error.append(m.getString(1, m.length(), StandardCharsets.UTF_8.name()));
            }
          });
          socket.closeHandler(v -> status.complete(error.toString()));
          socket.exceptionHandler(status::completeExceptionally);
        });
    String s = status.get(30, TimeUnit.SECONDS);
    double ms = (System.nanoTime() - t0) / 1e6;
    if (!s.contains("\"Success\"")) {
      throw new IllegalStateException("exec -- true did not succeed: " + s);
    }
    return ms;
  }

  static double bareExec(String runc, Path root, String containerId) throws IOException, InterruptedException {
    long t0 = System.nanoTime();
    Process p = new ProcessBuilder(runc, "--root", root.toString(), "exec", containerId, "true")
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException("runc exec " + containerId + " true failed: " + out);
    }
    return (System.nanoTime() - t0) / 1e6;
  }

  static Pod pod() {
    return Pod.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName(POD).build())
        .setSpec(PodSpec.newBuilder().setTerminationGracePeriodSeconds(0L).setContainers(List.of(Container.newBuilder()
            .setName("sleep").setImage(BusyboxImage.NAME).setCommand(List.of("sleep", "3600")).build())).build())
        .build();
  }

  static double percentile(List<Double> sorted, double q) {
    if (sorted.isEmpty()) {
      return Double.NaN;
    }
    int idx = (int) Math.ceil(q * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, idx)));
  }
}
