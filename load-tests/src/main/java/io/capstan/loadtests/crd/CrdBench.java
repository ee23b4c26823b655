package io.capstan.loadtests.crd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.capstan.gateway.server.GatewayConfig;
import io.capstan.gateway.threads.ThreadNice;
import io.capstan.loadtests.api.ApiTarget;
import io.capstan.loadtests.api.InProcessStack;
import io.capstan.loadtests.report.CpuAccount;
import io.capstan.loadtests.report.JsonLine;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The custom resources benchmark, through the gateway over HTTPS as {@code api} does:
 * <ul>
 *   <li><b>custom objects beside ConfigMaps</b>: creates of a custom kind and of ConfigMaps of the
 *       same size, and gets of existing ones of each, all on one client and one rate schedule (the
 *       two kinds' requests interleave, each kind at {@code rate} creates and {@code getRate} gets
 *       per second), at most {@code clients} in flight; each request is timed from when it was
 *       due, not from when it could be sent, so a client that falls behind shows as latency
 *       (no coordinated omission). An unmeasured warm-up of the same mix comes first.
 *   <li><b>establishment</b>: {@code definitions} CRDs created one after the other, each timed
 *       from the create until a read shows its {@code Established} condition True.
 * </ul>
 * Kubernetes' own target (issue 14): custom objects within 1.5x of ConfigMaps in create
 * throughput and p99, establishment p99 at most 2 s. Without a kubeconfig the stack runs in this
 * process ({@link InProcessStack}) and the CPU per operation is the whole stack's.
 */
public final class CrdBench {

  /** Benchmark settings; every default is here once. */
  public record Settings(Path kubeconfig, int clients, int rate, int getRate, int pool, int definitions,
      int warmupSeconds, int seconds, int partitions, int eventLoops) {
    public static final int DEFAULT_CLIENTS = 64;
    /** Creates per second of each kind (the run sends twice this many creates). */
    public static final int DEFAULT_RATE = 200;
    public static final int DEFAULT_GET_RATE = 200;
    /** Objects of each kind made first, that the gets read. */
    public static final int DEFAULT_POOL = 200;
    public static final int DEFAULT_DEFINITIONS = 20;
    /** As the API bench's: the JIT needs it on this machine. */
    public static final int DEFAULT_WARMUP_SECONDS = 150;
    public static final int DEFAULT_SECONDS = 30;
    public static final int DEFAULT_PARTITIONS = 4;

    public Settings {
      if (clients <= 0 || rate <= 0 || getRate < 0 || pool <= 0 || definitions <= 0 || warmupSeconds < 0
          || seconds <= 0 || partitions <= 0 || eventLoops <= 0) {
        throw new IllegalArgumentException("clients, rate, pool, definitions, seconds, partitions and event loops must"
            + " be positive; the get rate and warm-up not negative");
      }
    }
  }

  /** The figures of one run; latencies in microseconds. */
  public record Result(Settings settings, double customCreatesPerSec, double configMapCreatesPerSec,
      Histogram customCreate, Histogram configMapCreate, Histogram customGet, Histogram configMapGet,
      Histogram establish, long errors, long late, String firstError, CpuAccount.Spent cpu) {

    public long operations() {
      return customCreate.getTotalCount() + configMapCreate.getTotalCount() + customGet.getTotalCount()
          + configMapGet.getTotalCount();
    }

    /** Issue 14's floor: custom creates within 1.5x of ConfigMaps' in throughput and p99; establishment p99 <= 2 s. */
    public boolean floorMet() {
      return customCreatesPerSec * 1.5 >= configMapCreatesPerSec
          && ms(customCreate, 99) <= 1.5 * ms(configMapCreate, 99)
          && ms(establish, 99) <= 2000;
    }

    public String jsonLine() {
      return new JsonLine("crd")
          .put("custom_creates_per_s", customCreatesPerSec)
          .put("configmap_creates_per_s", configMapCreatesPerSec)
          .put("custom_p99_ms", ms(customCreate, 99))
          .put("configmap_p99_ms", ms(configMapCreate, 99))
          .put("custom_p50_ms", ms(customCreate, 50))
          .put("configmap_p50_ms", ms(configMapCreate, 50))
          .put("get_custom_p50_ms", ms(customGet, 50))
          .put("get_custom_p99_ms", ms(customGet, 99))
          .put("get_configmap_p50_ms", ms(configMapGet, 50))
          .put("get_configmap_p99_ms", ms(configMapGet, 99))
          .put("establish_p50_ms", ms(establish, 50))
          .put("establish_p99_ms", ms(establish, 99))
          .put("establish_max_ms", establish.getTotalCount() == 0 ? 0 : establish.getMaxValue() / 1000.0)
          .put("cpu_ms_per_op", cpu.msPer(operations()))
          .put("cpu_cores", cpu.cores())
          .put("floor_met", floorMet())
          .put("custom_creates", customCreate.getTotalCount())
          .put("configmap_creates", configMapCreate.getTotalCount())
          .put("gets", customGet.getTotalCount() + configMapGet.getTotalCount())
          .put("definitions", establish.getTotalCount())
          .put("errors", errors)
          .put("late_sends", late)
          .put("clients", settings.clients())
          .put("rate", settings.rate())
          .put("get_rate", settings.getRate())
          .put("seconds", settings.seconds())
          .put("warmup_s", settings.warmupSeconds())
          .put("stack", settings.kubeconfig() == null ? "in-process" : "kubeconfig")
          .toString();
    }

    static double ms(Histogram h, double percentile) {
      return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(percentile) / 1000.0;
    }
  }

  static final String NS = "bench-crd";
  static final String GROUP = "bench.capstan.io";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Settings s;
  private final PrintStream progress;
  /** Tells this run's definitions from an earlier run's on the same cluster (kind names are cluster-wide). */
  private final String run = Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);
  private HttpClient http;
  private Context clientContext;
  private String authorization;
  private final AtomicLong errors = new AtomicLong();
  private final AtomicLong late = new AtomicLong();
  private volatile String firstError;

  public CrdBench(Settings settings, PrintStream progress) {
    this.s = settings;
    this.progress = progress;
  }

  public Result run() throws Exception {
    try (InProcessStack stack = s.kubeconfig() == null ? InProcessStack.start(s.partitions(), s.eventLoops(), progress)
        : null) {
      ApiTarget target = ApiTarget.fromKubeconfig(stack != null ? stack.kubeconfig() : s.kubeconfig());
      Vertx clientVertx = connect(target);
      try {
        progress.println("bench: against " + target.server() + "; defining " + plural() + "." + GROUP + " and making "
            + s.pool() + " objects of each kind to get");
        setUp();
        progress.println("bench: warming up for " + s.warmupSeconds() + " s (not measured)");
        new Mix("w", s.warmupSeconds()).run();
        errors.set(0);
        late.set(0);
        firstError = null;
        progress.println("bench: measuring for " + s.seconds() + " s");
        Mix m = new Mix("m", s.seconds());
        CpuAccount cpu = CpuAccount.start();
        m.run();
        CpuAccount.Spent spent = cpu.spent();
        progress.print(spent.table(8));
        Histogram customCreate = m.customCreate.getIntervalHistogram();
        Histogram configMapCreate = m.configMapCreate.getIntervalHistogram();
        long customOk = m.customCreated.get();
        long configMapOk = m.configMapCreated.get();
        progress.println("bench: timing the establishment of " + s.definitions() + " definitions");
        Histogram establish = establishments();
        return new Result(s, customOk / m.elapsedSeconds(), configMapOk / m.elapsedSeconds(), customCreate,
            configMapCreate, m.customGet.getIntervalHistogram(), m.configMapGet.getIntervalHistogram(), establish,
            errors.get(), late.get(), firstError, spent);
      } finally {
        clientVertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
    }
  }

  /** The HTTP client of this run: one event loop at the gateway's niceness, up to {@code clients} connections. */
  private Vertx connect(ApiTarget target) {
    authorization = "Bearer " + target.token();
    Vertx clientVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setPreferNativeTransport(true));
    http = clientVertx.createHttpClient(target.clientOptions(), new PoolOptions().setHttp1MaxSize(s.clients()));
    clientContext = clientVertx.getOrCreateContext();
    clientContext.runOnContext(v -> ThreadNice.apply(GatewayConfig.DEFAULT_EVENT_LOOP_NICE));
    return clientVertx;
  }

  /**
   * Registers {@code count} custom kinds on the running cluster of {@code kubeconfig}, one
   * CustomResourceDefinition each, and waits until each is Established: what {@code bench idle
   * --crds} measures an idle cluster with.
   */
  public static void defineKinds(Path kubeconfig, int count, PrintStream progress) throws Exception {
    CrdBench b = new CrdBench(new Settings(kubeconfig, 1, Settings.DEFAULT_RATE, 0, 1, count, 0, 1,
        Settings.DEFAULT_PARTITIONS, 1), progress);
    Vertx clientVertx = b.connect(ApiTarget.fromKubeconfig(kubeconfig));
    try {
      long t0 = System.nanoTime();
      for (int i = 0; i < count; i++) {
        String plural = ("BenchIdle" + b.run + "x" + i).toLowerCase(Locale.ROOT) + "s";
        Reply r = b.call(HttpMethod.POST, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
            definition("BenchIdle" + b.run + "x" + i, plural));
        if (r.statusCode() != 201) {
          throw new IllegalStateException("creating definition " + plural + ": HTTP " + r.statusCode() + " " + r.body());
        }
        b.awaitEstablished(plural + "." + GROUP, System.nanoTime() + TimeUnit.SECONDS.toNanos(120));
        if ((i + 1) % 10 == 0 || i + 1 == count) {
          progress.printf(Locale.ROOT, "bench: %d of %d custom kinds Established (%.0f s)%n", i + 1, count,
              (System.nanoTime() - t0) / 1e9);
        }
      }
    } finally {
      clientVertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private String kind() {
    return "BenchItem" + run;
  }

  private String plural() {
    return kind().toLowerCase(Locale.ROOT) + "s";
  }

  static String definition(String kind, String plural) {
    return "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\",\"metadata\":{\"name\":\""
        + plural + "." + GROUP + "\"},\"spec\":{\"group\":\"" + GROUP + "\",\"scope\":\"Namespaced\",\"names\":{"
        + "\"plural\":\"" + plural + "\",\"singular\":\"" + plural.substring(0, plural.length() - 1) + "\",\"kind\":\""
        + kind + "\"},\"versions\":[{\"name\":\"v1\",\"served\":true,\"storage\":true,\"subresources\":{\"status\":{}},"
        + "\"schema\":{\"openAPIV3Schema\":{\"type\":\"object\",\"properties\":{\"spec\":{\"type\":\"object\","
        + "\"properties\":{\"properties\":{\"type\":\"string\"},\"flags\":{\"type\":\"string\"},"
        + "\"index\":{\"type\":\"integer\"}}},\"status\":{\"type\":\"object\",\"properties\":{"
        + "\"phase\":{\"type\":\"string\"}}}}}}}]}}";
  }

  /** A custom object and a ConfigMap carrying the same payload. */
  private String customObject(String name, int i) {
    return "{\"apiVersion\":\"" + GROUP + "/v1\",\"kind\":\"" + kind() + "\",\"metadata\":{\"name\":\"" + name
        + "\",\"namespace\":\"" + NS + "\",\"labels\":{\"app\":\"bench\"}},\"spec\":{\"properties\":"
        + "\"server.port=8080\\nserver.threads=16\\nlog.level=info\\n\",\"flags\":\"alpha=false,beta=true\","
        + "\"index\":" + i + "}}";
  }

  private static String configMap(String name, int i) {
    return "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"" + name + "\",\"namespace\":\""
        + NS + "\",\"labels\":{\"app\":\"bench\"}},\"data\":{\"properties\":"
        + "\"server.port=8080\\nserver.threads=16\\nlog.level=info\\n\",\"flags\":\"alpha=false,beta=true\","
        + "\"index\":\"" + i + "\"}}";
  }

  private String customPath() {
    return "/apis/" + GROUP + "/v1/namespaces/" + NS + "/" + plural();
  }

  private static String configMapPath() {
    return "/api/v1/namespaces/" + NS + "/configmaps";
  }

  // ---- requests ----

  private record Reply(int statusCode, Buffer buffer) {
    String body() {
      return buffer.toString(StandardCharsets.UTF_8);
    }
  }

  private CompletableFuture<Reply> send(HttpMethod method, String path, String json) {
    RequestOptions o = new RequestOptions().setMethod(method).setURI(path).setTimeout(30_000)
        .putHeader("Authorization", authorization).putHeader("Accept", "application/json");
    if (json != null) {
      o.putHeader("Content-Type", "application/json");
    }
    CompletableFuture<Reply> reply = new CompletableFuture<>();
    // on the client's event loop, so the body handler is attached before the body can arrive
    clientContext.runOnContext(v -> http.request(o)
        .compose(req -> json == null ? req.send() : req.send(Buffer.buffer(json)))
        .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), b)))
        .onComplete((r, err) -> {
          if (err != null) {
            reply.completeExceptionally(err);
          } else {
            reply.complete(r);
          }
        }));
    return reply;
  }

  private Reply call(HttpMethod method, String path, String json) throws Exception {
    return send(method, path, json).get(60, TimeUnit.SECONDS);
  }

  private void setUp() throws Exception {
    Reply ns = call(HttpMethod.POST, "/api/v1/namespaces",
        "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"" + NS + "\"}}");
    if (ns.statusCode() != 201 && ns.statusCode() != 409) {
      throw new IllegalStateException("creating namespace " + NS + ": HTTP " + ns.statusCode() + " " + ns.body());
    }
    Reply crd = call(HttpMethod.POST, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
        definition(kind(), plural()));
    if (crd.statusCode() != 201) {
      throw new IllegalStateException("creating the definition: HTTP " + crd.statusCode() + " " + crd.body());
    }
    awaitEstablished(plural() + "." + GROUP, System.nanoTime() + TimeUnit.SECONDS.toNanos(60));
    for (int i = 0; i < s.pool(); i++) {
      createRetrying(customPath(), customObject("p-" + i, i));
      createRetrying(configMapPath(), configMap("p-" + i, i));
    }
  }

  /** A new namespace (and a new kind) reaches every partition a moment later: 404 is retried, 409 (a retry) is fine. */
  private void createRetrying(String path, String json) throws Exception {
    for (int attempt = 0; ; attempt++) {
      Reply r = call(HttpMethod.POST, path, json);
      if (r.statusCode() == 201 || r.statusCode() == 409) {
        return;
      }
      if (r.statusCode() != 404 || attempt >= 100) {
        throw new IllegalStateException("create at " + path + ": HTTP " + r.statusCode() + " " + r.body());
      }
      Thread.sleep(100);
    }
  }

  /** Reads the definition until its Established condition is True; when that was seen (nanoTime). */
  private long awaitEstablished(String name, long deadline) throws Exception {
    while (true) {
      Reply r = call(HttpMethod.GET, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/" + name, null);
      long seen = System.nanoTime();
      if (r.statusCode() == 200 && established(JSON.readTree(r.body()))) {
        return seen;
      }
      if (seen > deadline) {
        throw new IllegalStateException("definition " + name + " not Established in time: HTTP " + r.statusCode() + " "
            + r.body());
      }
      Thread.sleep(5);
    }
  }

  static boolean established(JsonNode crd) {
    for (JsonNode c : crd.path("status").path("conditions")) {
      if ("Established".equals(c.path("type").asText()) && "True".equals(c.path("status").asText())) {
        return true;
      }
    }
    return false;
  }

  /** Create → Established observed, for each definition in turn. */
  private Histogram establishments() throws Exception {
    Histogram h = new Histogram(3);
    for (int i = 0; i < s.definitions(); i++) {
      String kind = "BenchEst" + run + "x" + i;
      String plural = kind.toLowerCase(Locale.ROOT) + "s";
      long t0 = System.nanoTime();
      Reply r = call(HttpMethod.POST, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
          definition(kind, plural));
      if (r.statusCode() != 201) {
        throw new IllegalStateException("creating definition " + plural + ": HTTP " + r.statusCode() + " " + r.body());
      }
      long seen = awaitEstablished(plural + "." + GROUP, t0 + TimeUnit.SECONDS.toNanos(60));
      h.recordValue(Math.max(1, (seen - t0) / 1000));
    }
    return h;
  }

  private void failed(String what, Object why) {
    errors.incrementAndGet();
    if (firstError == null) {
      firstError = what + ": " + why;
    }
  }

  /**
   * One phase: the four request streams (custom create, ConfigMap create, custom get, ConfigMap
   * get) on one schedule; whichever is most overdue goes first.
   */
  private final class Mix {
    final String prefix;
    final int seconds;
    final Recorder customCreate = new Recorder(3);
    final Recorder configMapCreate = new Recorder(3);
    final Recorder customGet = new Recorder(3);
    final Recorder configMapGet = new Recorder(3);
    final AtomicLong customCreated = new AtomicLong();
    final AtomicLong configMapCreated = new AtomicLong();
    final Semaphore inFlight = new Semaphore(s.clients());
    long startNanos;
    long endNanos;

    Mix(String prefix, int seconds) {
      this.prefix = prefix;
      this.seconds = seconds;
    }

    double elapsedSeconds() {
      return (endNanos - startNanos) / 1e9;
    }

    void run() throws InterruptedException {
      startNanos = System.nanoTime();
      long end = startNanos + TimeUnit.SECONDS.toNanos(seconds);
      long createEvery = 1_000_000_000L / s.rate();
      long getEvery = s.getRate() == 0 ? Long.MAX_VALUE / 4 : 1_000_000_000L / s.getRate();
      // the four streams start staggered within one period, then keep their pace
      long[] next = {startNanos, startNanos + createEvery / 2, startNanos + getEvery / 4, startNanos + 3 * (getEvery / 4)};
      long[] every = {createEvery, createEvery, getEvery, getEvery};
      int[] sent = new int[4];
      long nextReport = startNanos + TimeUnit.SECONDS.toNanos(5);
      while (true) {
        long now = System.nanoTime();
        if (now >= end) {
          break;
        }
        int which = 0;
        for (int k = 1; k < 4; k++) {
          if (next[k] < next[which]) {
            which = k;
          }
        }
        long due = next[which];
        if (now >= due) {
          send(which, sent[which]++, due);
          next[which] += every[which];
          continue;
        }
        if (now >= nextReport) {
          progress.printf(Locale.ROOT, "bench: %s %d custom + %d ConfigMap creates, %d errors%n", prefix,
              customCreated.get(), configMapCreated.get(), errors.get());
          nextReport += TimeUnit.SECONDS.toNanos(5);
        }
        LockSupport.parkNanos(Math.max(0, Math.min(due, end) - now));
      }
      if (!inFlight.tryAcquire(s.clients(), 60, TimeUnit.SECONDS)) {
        throw new IllegalStateException("requests still unanswered 60 s after the last was sent");
      }
      inFlight.release(s.clients());
      endNanos = System.nanoTime();
    }

    /** Sends request {@code i} of a stream, timed from {@code due}. */
    private void send(int stream, int i, long due) throws InterruptedException {
      if (!inFlight.tryAcquire()) {
        late.incrementAndGet();
        inFlight.acquire();
      }
      String name = prefix + "-" + i;
      int pick = ThreadLocalRandom.current().nextInt(s.pool());
      CompletableFuture<Reply> f;
      Recorder timer;
      int expected;
      AtomicLong ok;
      switch (stream) {
        case 0 -> {
          f = CrdBench.this.send(HttpMethod.POST, customPath(), customObject(name, i));
          timer = customCreate;
          expected = 201;
          ok = customCreated;
        }
        case 1 -> {
          f = CrdBench.this.send(HttpMethod.POST, configMapPath(), configMap(name, i));
          timer = configMapCreate;
          expected = 201;
          ok = configMapCreated;
        }
        case 2 -> {
          f = CrdBench.this.send(HttpMethod.GET, customPath() + "/p-" + pick, null);
          timer = customGet;
          expected = 200;
          ok = null;
        }
        default -> {
          f = CrdBench.this.send(HttpMethod.GET, configMapPath() + "/p-" + pick, null);
          timer = configMapGet;
          expected = 200;
          ok = null;
        }
      }
      String what = switch (stream) {
        case 0 -> "custom create";
        case 1 -> "ConfigMap create";
        case 2 -> "custom get";
        default -> "ConfigMap get";
      };
      f.whenComplete((r, err) -> {
        timer.recordValue(Math.max(1, (System.nanoTime() - due) / 1000));
        inFlight.release();
        if (err != null || r.statusCode() != expected) {
          failed(what, err != null ? err : r.statusCode() + " " + r.body());
        } else if (ok != null) {
          ok.incrementAndGet();
        }
      });
    }
  }
}
