package io.capstan.loadtests.api;

import io.capstan.gateway.server.GatewayConfig;
import io.capstan.gateway.threads.ThreadNice;
import io.capstan.loadtests.report.CpuAccount;
import io.capstan.loadtests.report.JsonLine;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The API benchmark: through the gateway over HTTPS with the admin token, as kubectl and client
 * libraries talk to it, it runs at once
 * <ul>
 *   <li>creates of ConfigMaps, paced at {@code rate} per second (open loop);
 *   <li>single gets of existing ConfigMaps, paced at {@code getRate} per second;
 *   <li>lists of one namespace holding {@code listSize} ConfigMaps, paced at {@code listRate};
 *   <li>{@code watches} watches on the namespace the creates go to, counting the events they get;
 *   <li>when comparing apply with update ({@code applyObjects} > 0): writes to {@code applyObjects}
 *       ConfigMaps paced at {@code applyRate} per second, taking turns: a server-side apply (PATCH
 *       of {@code application/apply-patch+yaml}, field manager {@code bench-apply}) that changes the
 *       fields it owns, and a merge patch (field manager {@code bench-update}) of a field of its own,
 *       so that every object gets both; each timed from when it was due;
 * </ul>
 * with at most {@code clients} requests in flight. An unmeasured warm-up of the same mix comes
 * first (the JIT needs it). Without a kubeconfig it starts its own stack in this process: an
 * embedded broker, the command processor and the gateway on a free port.
 *
 * <p>The client is Vert.x's, on an event loop of its own at the gateway's priority, with TLS by
 * BoringSSL: it shares the machine with what it measures, so its own CPU and its own wait for a CPU
 * would otherwise be counted as the server's. Next to the client's percentiles the result gives
 * the gateway's own, from two scrapes of its {@code /metrics}.
 *
 * <p>Next to the create rate, the CPU this process spent per request (creates, gets and lists) in
 * the measured phase. In-process that is the whole stack's: broker, processor, gateway and client.
 * Against a kubeconfig the server is another process ({@code capstan up}) and only the client's CPU
 * is counted: compare such figures only with runs against a server of the same kind.
 */
public final class ApiBench {

  /** Benchmark settings; every default is here once. */
  /**
   * @param compareRbac in-process only: every other request goes as a user outside
   *                    {@code system:masters} ({@code bench-user}, bound to ClusterRole edit in the
   *                    bench namespaces), so the RBAC authorizer's cost shows against the superuser's
   *                    in the same run; those requests get histograms of their own
   * @param applyObjects when positive, the ConfigMaps that applies and updates take turns on (see the class)
   * @param applyRate    applies and updates per second together, half each
   */
  public record Settings(Path kubeconfig, int clients, int rate, int getRate, double listRate, int listSize,
      int watches, int warmupSeconds, int seconds, int partitions, int eventLoops, boolean compareRbac,
      int applyObjects, int applyRate) {
    public Settings(Path kubeconfig, int clients, int rate, int getRate, double listRate, int listSize,
        int watches, int warmupSeconds, int seconds, int partitions, int eventLoops, boolean compareRbac) {
      this(kubeconfig, clients, rate, getRate, listRate, listSize, watches, warmupSeconds, seconds, partitions,
          eventLoops, compareRbac, 0, 0);
    }

    public Settings(Path kubeconfig, int clients, int rate, int getRate, double listRate, int listSize,
        int watches, int warmupSeconds, int seconds, int partitions, int eventLoops) {
      this(kubeconfig, clients, rate, getRate, listRate, listSize, watches, warmupSeconds, seconds, partitions,
          eventLoops, false);
    }

    public Settings {
      if (compareRbac && kubeconfig != null) {
        throw new IllegalArgumentException("comparing the RBAC user with system:masters needs the in-process stack"
            + " (its token file gets the bench user); leave out the kubeconfig");
      }
    }

    public static final int DEFAULT_CLIENTS = 64;
    public static final int DEFAULT_RATE = 500;
    public static final int DEFAULT_GET_RATE = 500;
    public static final double DEFAULT_LIST_RATE = 5;
    public static final int DEFAULT_LIST_SIZE = 500;
    public static final int DEFAULT_WATCHES = 4;
    /**
     * Long enough for the JIT: with the broker, processor, gateway and client in one JVM on two
     * cores, C2 still took a fifth of the machine 45 s in, and a 60 s warm-up measured 367
     * creates/s where the warm stack does 500 with a quarter of the latency.
     */
    public static final int DEFAULT_WARMUP_SECONDS = 150;
    public static final int DEFAULT_SECONDS = 30;
    public static final int DEFAULT_PARTITIONS = 4;
    public static final int DEFAULT_APPLY_OBJECTS = 200;
    public static final int DEFAULT_APPLY_RATE = 200;

    /** Whether applies and updates run next to the mix. */
    public boolean comparesApply() {
      return applyObjects > 0 && applyRate > 0;
    }
  }

  /**
   * The gateway's own p99s of the measured phase (from its {@code /metrics}), next to the
   * client's: the difference is the time spent queued for a CPU, in TLS and in the client.
   */
  public record Server(double createP99Ms, double getP99Ms, double listP99Ms) {
    static Server between(ServerLatency before, ServerLatency after) {
      return new Server(after.quantileMs(before, "POST", 201, 0.99), after.quantileMs(before, "GET", 200, 0.99),
          after.quantileMs(before, "LIST", 200, 0.99));
    }
  }

  /**
   * The figures of one run.
   *
   * @param cpu this process's CPU over the measured phase: the whole stack's in-process, the client's
   *            alone against a kubeconfig
   */
  public record Result(Settings settings, double createPerSec, Histogram create, Histogram get, Histogram list,
      long errors, long behind, long watchEvents, String firstError, Server server, CpuAccount.Spent cpu,
      Histogram createRbac, Histogram getRbac, Histogram listRbac, Histogram watchDelay, Histogram apply,
      Histogram update, double elapsedSeconds) {
    /** The floor of server-side apply: its p99 at most twice an update's, from the same run. */
    public static final double APPLY_FLOOR_RATIO = 2.0;

    /** Whether applies met their floor; null when this run did not compare them. */
    public Boolean applyFloorMet() {
      if (apply == null || apply.getTotalCount() == 0 || update.getTotalCount() == 0) {
        return null;
      }
      return ms(apply, 99) <= APPLY_FLOOR_RATIO * ms(update, 99);
    }

    /** The requests measured: creates, gets and lists (the watches' events are not requests). */
    public long requests() {
      return create.getTotalCount() + get.getTotalCount() + list.getTotalCount()
          + (createRbac == null ? 0 : createRbac.getTotalCount() + getRbac.getTotalCount() + listRbac.getTotalCount())
          + (apply == null ? 0 : apply.getTotalCount() + update.getTotalCount());
    }

    public String jsonLine() {
      JsonLine line = new JsonLine("api")
          .put("create_per_s", createPerSec)
          .put("cpu_ms_per_request", cpu.msPer(requests()))
          .put("cpu_cores", cpu.cores())
          .put("create_p50_ms", ms(create, 50))
          .put("create_p99_ms", ms(create, 99))
          .put("get_p50_ms", ms(get, 50))
          .put("get_p99_ms", ms(get, 99))
          .put("list_500_p50_ms", ms(list, 50))
          .put("list_500_p99_ms", ms(list, 99));
      if (createRbac != null) {
        // as bench-user (RBAC decides) next to the lines above, which are system:masters' in this run
        line.put("rbac_create_p50_ms", ms(createRbac, 50))
            .put("rbac_create_p99_ms", ms(createRbac, 99))
            .put("rbac_get_p50_ms", ms(getRbac, 50))
            .put("rbac_get_p99_ms", ms(getRbac, 99))
            .put("rbac_list_500_p50_ms", ms(listRbac, 50))
            .put("rbac_list_500_p99_ms", ms(listRbac, 99))
            .put("rbac_creates", createRbac.getTotalCount())
            .put("rbac_gets", getRbac.getTotalCount());
      }
      if (watchDelay != null && watchDelay.getTotalCount() > 0) {
        // from the version's time (the processor's clock, microseconds) to the event's arrival here
        line.put("watch_delay_p50_ms", ms(watchDelay, 50))
            .put("watch_delay_p99_ms", ms(watchDelay, 99));
      }
      if (apply != null) {
        // the same objects, the same client and schedule: applies (bench-apply) and merge patches (bench-update)
        line.put("apply_p50_ms", ms(apply, 50))
            .put("apply_p99_ms", ms(apply, 99))
            .put("update_p50_ms", ms(update, 50))
            .put("update_p99_ms", ms(update, 99))
            .put("apply_per_s", apply.getTotalCount() / elapsedSeconds)
            .put("update_per_s", update.getTotalCount() / elapsedSeconds)
            .put("applies", apply.getTotalCount())
            .put("updates", update.getTotalCount())
            .put("apply_objects", settings.applyObjects())
            .put("floor_met", applyFloorMet());
      }
      if (server != null) {
        line.put("server_create_p99_ms", server.createP99Ms())
            .put("server_get_p99_ms", server.getP99Ms())
            .put("server_list_p99_ms", server.listP99Ms());
      }
      line.put("creates", create.getTotalCount())
          .put("gets", get.getTotalCount())
          .put("lists", list.getTotalCount())
          .put("list_size", settings.listSize())
          .put("watches", settings.watches())
          .put("watch_events", watchEvents)
          .put("errors", errors)
          .put("late_sends", behind)
          .put("clients", settings.clients())
          .put("rate", settings.rate())
          .put("get_rate", settings.getRate())
          .put("seconds", settings.seconds())
          .put("warmup_s", settings.warmupSeconds())
          .put("stack", settings.kubeconfig() == null ? "in-process" : "kubeconfig");
      if (settings.kubeconfig() == null) {
        line.put("event_loops", settings.eventLoops());
      }
      return line.toString();
    }

    private static double ms(Histogram h, double percentile) {
      return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(percentile) / 1000.0;
    }
  }

  private static final String CREATE_NS = "bench";
  private static final String LIST_NS = "bench-list";
  private static final String APPLY_NS = "bench-apply";
  private static final String APPLY_MANAGER = "bench-apply";
  private static final String UPDATE_MANAGER = "bench-update";

  private final Settings s;
  private final PrintStream progress;
  private HttpClient http;
  private ApiTarget target;
  private String authorization;
  /** The bench user's Authorization header when comparing identities; null otherwise. */
  private String userAuthorization;
  private Context clientContext;
  private final AtomicLong errors = new AtomicLong();
  private final AtomicLong behind = new AtomicLong();
  private final AtomicLong watchEvents = new AtomicLong();
  /** Per watch event: microseconds from its resourceVersion (a processor's clock) to its arrival. */
  private final Recorder watchDelay = new Recorder(3);
  private volatile String firstError;
  /** Applies and updates sent so far, over all phases (the pacing thread's alone): each write's value is new. */
  private long writes;

  public ApiBench(Settings settings, PrintStream progress) {
    this.s = settings;
    this.progress = progress;
  }

  public Result run() throws Exception {
    try (InProcessStack stack = s.kubeconfig() == null ? InProcessStack.start(s.partitions(), s.eventLoops(), progress) : null) {
      Path kubeconfig = stack != null ? stack.kubeconfig() : s.kubeconfig();
      target = ApiTarget.fromKubeconfig(kubeconfig);
      authorization = "Bearer " + target.token();
      userAuthorization = s.compareRbac() ? "Bearer " + stack.benchUserToken() : null;
      // The load generator's own event loop (one: it only sends and counts), apart from the
      // gateway's; watches stream on it too, without holding it.
      Vertx clientVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setPreferNativeTransport(true));
      http = clientVertx.createHttpClient(target.clientOptions(),
          new PoolOptions().setHttp1MaxSize(s.clients() + s.watches()));
      clientContext = clientVertx.getOrCreateContext();
      // The load generator's loop is as urgent as the gateway's: else its own wait for a CPU
      // would be counted as the server's latency.
      clientContext.runOnContext(v -> ThreadNice.apply(GatewayConfig.DEFAULT_EVENT_LOOP_NICE));
      try {
        progress.println("bench: against " + target.server() + "; creating " + s.listSize() + " ConfigMaps to list");
        setUp();
        for (int i = 0; i < s.watches(); i++) {
          watch();
        }
        progress.println("bench: warming up for " + s.warmupSeconds() + " s (not measured)");
        Mix warm = new Mix("w", s.warmupSeconds());
        warm.run();
        errors.set(0);
        behind.set(0);
        firstError = null;
        long eventsBefore = watchEvents.get();
        watchDelay.getIntervalHistogram(); // from here on
        ServerLatency before = scrape();
        progress.println("bench: measuring for " + s.seconds() + " s");
        Mix measured = new Mix("m", s.seconds());
        CpuAccount cpu = CpuAccount.start();
        measured.run();
        CpuAccount.Spent spent = cpu.spent();
        progress.print(spent.table(8));
        ServerLatency after = scrape();
        Histogram create = measured.create.getIntervalHistogram();
        Histogram createRbac = userAuthorization == null ? null : measured.createRbac.getIntervalHistogram();
        long allCreates = create.getTotalCount() + (createRbac == null ? 0 : createRbac.getTotalCount());
        return new Result(s, allCreates / measured.elapsedSeconds(), create,
            measured.get.getIntervalHistogram(), measured.list.getIntervalHistogram(), errors.get(), behind.get(),
            watchEvents.get() - eventsBefore, firstError,
            before != null && after != null ? Server.between(before, after) : null, spent, createRbac,
            userAuthorization == null ? null : measured.getRbac.getIntervalHistogram(),
            userAuthorization == null ? null : measured.listRbac.getIntervalHistogram(),
            watchDelay.getIntervalHistogram(), s.comparesApply() ? measured.apply.getIntervalHistogram() : null,
            s.comparesApply() ? measured.update.getIntervalHistogram() : null, measured.elapsedSeconds());
      } finally {
        clientVertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
    }
  }

  // ---- requests ----

  /** An answer: its HTTP status and body. */
  private record Reply(int statusCode, Buffer buffer) {
    String body() {
      return buffer.toString(StandardCharsets.UTF_8);
    }
  }

  private RequestOptions request(HttpMethod method, String path) {
    return request(method, path, authorization);
  }

  private RequestOptions request(HttpMethod method, String path, String as) {
    return new RequestOptions().setMethod(method).setURI(path).setTimeout(30_000)
        .putHeader("Authorization", as).putHeader("Accept", "application/json");
  }

  private CompletableFuture<Reply> post(String path, String json) {
    return post(path, json, authorization);
  }

  private CompletableFuture<Reply> post(String path, String json, String as) {
    return send(request(HttpMethod.POST, path, as).putHeader("Content-Type", "application/json"),
        Buffer.buffer(json));
  }

  private CompletableFuture<Reply> get(String path) {
    return get(path, authorization);
  }

  private CompletableFuture<Reply> get(String path, String as) {
    return send(request(HttpMethod.GET, path, as), null);
  }

  /**
   * Sends on the client's event loop. A chain started on the pacing thread can attach its body
   * handler after the event loop has delivered the body, which is then lost and the request never
   * ends; on the event loop every step runs in order.
   */
  private CompletableFuture<Reply> send(RequestOptions options, Buffer body) {
    CompletableFuture<Reply> reply = new CompletableFuture<>();
    unanswered.put(reply, options.getMethod() + " " + options.getURI() + " sent at " + LocalTime.now());
    clientContext.runOnContext(v -> http.request(options)
        .compose(req -> body == null ? req.send() : req.send(body))
        .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), b)))
        .onComplete((r, err) -> {
          unanswered.remove(reply);
          if (err != null) {
            reply.completeExceptionally(err);
          } else {
            reply.complete(r);
          }
        }));
    return reply;
  }

  /** Requests sent and not yet answered, named for the message when some never are. */
  private final Map<Object, String> unanswered = new ConcurrentHashMap<>();

  private static String configMap(String namespace, String name, int i) {
    return "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"" + name + "\",\"namespace\":\""
        + namespace + "\",\"labels\":{\"app\":\"bench\",\"tier\":\"" + (i % 3 == 0 ? "web" : "worker") + "\"}},"
        + "\"data\":{\"app.properties\":\"server.port=8080\\nserver.threads=16\\nlog.level=info\\n\","
        + "\"feature.flags\":\"alpha=false,beta=true\",\"index\":\"" + i + "\"}}";
  }

  private void setUp() throws Exception {
    for (String ns : s.comparesApply() ? List.of(CREATE_NS, LIST_NS, APPLY_NS) : List.of(CREATE_NS, LIST_NS)) {
      Reply r = post("/api/v1/namespaces", "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\","
          + "\"metadata\":{\"name\":\"" + ns + "\"}}").get(30, TimeUnit.SECONDS);
      if (r.statusCode() != 201 && r.statusCode() != 409) {
        throw new IllegalStateException("creating namespace " + ns + ": HTTP " + r.statusCode() + " " + r.body());
      }
    }
    makeAll(s.listSize(), i -> createRetrying(LIST_NS, "l-" + i, i, 50), "ConfigMaps to list");
    if (s.comparesApply()) {
      // created by an apply, so that its manager owns their fields
      progress.println("bench: applying " + s.applyObjects() + " ConfigMaps to apply to and update");
      makeAll(s.applyObjects(), i -> applyRetrying(i, 50), "ConfigMaps to apply to");
    }
    if (userAuthorization != null) {
      bindBenchUser();
    }
  }

  /** Makes {@code n} objects, at most {@code clients} at once; fails naming {@code what} unless all were made. */
  private void makeAll(int n, java.util.function.IntFunction<CompletableFuture<Void>> make, String what)
      throws Exception {
    Semaphore inFlight = new Semaphore(s.clients());
    AtomicInteger failed = new AtomicInteger();
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      inFlight.acquire();
      all.add(make.apply(i).whenComplete((ok, err) -> {
        inFlight.release();
        if (err != null) {
          failed.incrementAndGet();
          progress.println("bench: set-up of " + what + " failed: " + err);
        }
      }));
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).exceptionally(e -> null).get(5, TimeUnit.MINUTES);
    if (failed.get() > 0) {
      throw new IllegalStateException(failed.get() + " of the " + n + " " + what + " were not created");
    }
  }

  /** As {@link #createRetrying}, by a create-on-apply. */
  private CompletableFuture<Void> applyRetrying(int i, int attempts) {
    return apply(i, 0).thenCompose(r -> {
      if (r.statusCode() == 201 || r.statusCode() == 200) {
        return CompletableFuture.completedFuture(null);
      }
      if (r.statusCode() == 404 && attempts > 1) {
        return CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(200, TimeUnit.MILLISECONDS))
            .thenCompose(v -> applyRetrying(i, attempts - 1));
      }
      return CompletableFuture.failedFuture(new IllegalStateException("apply " + APPLY_NS + "/a-" + i + ": HTTP "
          + r.statusCode() + " " + r.body()));
    });
  }

  private static String appliedPath(int i, String manager) {
    return "/api/v1/namespaces/" + APPLY_NS + "/configmaps/a-" + i + "?fieldManager=" + manager;
  }

  /** The apply manager's configuration of object {@code i}, its {@code generation}th (a JSON body is YAML too). */
  private CompletableFuture<Reply> apply(int i, long generation) {
    String config = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a-" + i
        + "\",\"labels\":{\"app\":\"bench\",\"tier\":\"" + (i % 3 == 0 ? "web" : "worker") + "\"}},"
        + "\"data\":{\"app.properties\":\"server.port=8080\\nserver.threads=16\\nlog.level=info\\n\","
        + "\"feature.flags\":\"alpha=false,beta=true\",\"index\":\"" + i + "\",\"applied\":\"" + generation + "\"}}";
    return send(request(HttpMethod.PATCH, appliedPath(i, APPLY_MANAGER))
        .putHeader("Content-Type", "application/apply-patch+yaml"), Buffer.buffer(config));
  }

  /** The update manager's merge patch of object {@code i}: a field of its own. */
  private CompletableFuture<Reply> mergePatch(int i, long generation) {
    return send(request(HttpMethod.PATCH, appliedPath(i, UPDATE_MANAGER))
        .putHeader("Content-Type", "application/merge-patch+json"),
        Buffer.buffer("{\"data\":{\"updated\":\"" + generation + "\"}}"));
  }

  /** The bench user gets ClusterRole edit in both bench namespaces, as a namespace's developer would. */
  private void bindBenchUser() throws Exception {
    for (String ns : List.of(CREATE_NS, LIST_NS)) {
      Reply r = post("/apis/rbac.authorization.k8s.io/v1/namespaces/" + ns + "/rolebindings",
          "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"RoleBinding\",\"metadata\":{\"name\":"
              + "\"bench-user-edit\",\"namespace\":\"" + ns + "\"},\"subjects\":[{\"kind\":\"User\",\"name\":\""
              + InProcessStack.BENCH_USER + "\",\"apiGroup\":\"rbac.authorization.k8s.io\"}],\"roleRef\":{\"apiGroup\":"
              + "\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\",\"name\":\"edit\"}}").get(30, TimeUnit.SECONDS);
      if (r.statusCode() != 201 && r.statusCode() != 409) {
        throw new IllegalStateException("binding the bench user in " + ns + ": HTTP " + r.statusCode() + " " + r.body());
      }
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (get("/api/v1/namespaces/" + LIST_NS + "/configmaps/l-0", userAuthorization).get(30, TimeUnit.SECONDS)
        .statusCode() != 200) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the bench user's RoleBinding did not take effect within 30 s");
      }
      Thread.sleep(100);
    }
  }

  /** The gateway's request timings for ConfigMaps; null (and said) when its /metrics cannot be read. */
  private ServerLatency scrape() throws Exception {
    Reply r = get("/metrics").get(30, TimeUnit.SECONDS);
    if (r.statusCode() != 200) {
      progress.println("bench: no server-side latency: GET /metrics answered HTTP " + r.statusCode());
      return null;
    }
    return ServerLatency.parse(r.body(), "configmaps");
  }

  /** A new namespace reaches every partition's check a moment later: 404 and 409 (a retried create) are retried/accepted. */
  private CompletableFuture<Void> createRetrying(String ns, String name, int i, int attempts) {
    return post("/api/v1/namespaces/" + ns + "/configmaps", configMap(ns, name, i)).thenCompose(r -> {
      if (r.statusCode() == 201 || r.statusCode() == 409) {
        return CompletableFuture.completedFuture(null);
      }
      if (r.statusCode() == 404 && attempts > 1) {
        return CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(200, TimeUnit.MILLISECONDS))
            .thenCompose(v -> createRetrying(ns, name, i, attempts - 1));
      }
      return CompletableFuture.failedFuture(new IllegalStateException("create " + ns + "/" + name + ": HTTP "
          + r.statusCode() + " " + r.body()));
    });
  }

  /**
   * A watch whose events (one per line) are counted as the chunks arrive; the connection is
   * closed with the client at the end.
   */
  private void watch() {
    clientContext.runOnContext(v -> http.request(request(HttpMethod.GET, "/api/v1/namespaces/" + CREATE_NS
            + "/configmaps?watch=1&resourceVersion=0&allowWatchBookmarks=true").setTimeout(-1))
        .compose(req -> req.send())
        .onSuccess(resp -> countLines(resp))
        .onFailure(e -> failed("watch", e)));
  }

  private void countLines(HttpClientResponse resp) {
    if (resp.statusCode() != 200) {
      failed("watch", "HTTP " + resp.statusCode());
      return;
    }
    resp.handler(io.vertx.core.parsetools.RecordParser.newDelimited("\n", line -> {
      watchEvents.incrementAndGet();
      long rv = eventVersion(line.toString(StandardCharsets.UTF_8));
      if (rv > 0) {
        watchDelay.recordValue(Math.max(0, System.currentTimeMillis() * 1000 - rv));
      }
    }));
  }

  /** The resourceVersion of a watch event's object; 0 for a BOOKMARK or when it has none. */
  static long eventVersion(String line) {
    if (line.startsWith("{\"type\":\"BOOKMARK\"")) {
      return 0;
    }
    String marker = "\"resourceVersion\":\"";
    int at = line.indexOf(marker);
    if (at < 0) {
      return 0;
    }
    int from = at + marker.length();
    int to = from;
    while (to < line.length() && Character.isDigit(line.charAt(to))) {
      to++;
    }
    try {
      return to == from ? 0 : Long.parseLong(line.substring(from, to));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private void failed(String what, Object why) {
    errors.incrementAndGet();
    if (firstError == null) {
      firstError = what + ": " + why;
    }
  }

  /** One phase of the mix: creates, gets and lists each paced at its rate, for a while. */
  private final class Mix {
    final String prefix;
    final int seconds;
    final Recorder create = new Recorder(3);
    final Recorder get = new Recorder(3);
    final Recorder list = new Recorder(3);
    final Recorder createRbac = new Recorder(3);
    final Recorder getRbac = new Recorder(3);
    final Recorder listRbac = new Recorder(3);
    final Recorder apply = new Recorder(3);
    final Recorder update = new Recorder(3);
    /**
     * Counts each kind of request on its own so that, when comparing, every other create, get and
     * list goes as the bench user. One count over all three sent the gets of whole stretches as
     * one identity (creates and gets alternate, and each list flipped which), so the two
     * identities' gets met different neighbours.
     */
    int createTurn;
    int getTurn;
    int listTurn;
    final Semaphore inFlight = new Semaphore(s.clients());
    final AtomicInteger created = new AtomicInteger();
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
      long createEvery = 1_000_000_000L / Math.max(1, s.rate());
      long getEvery = 1_000_000_000L / Math.max(1, s.getRate());
      long listEvery = (long) (1_000_000_000L / Math.max(0.01, s.listRate()));
      long nextCreate = startNanos;
      long nextGet = startNanos + getEvery / 2;
      long nextList = startNanos;
      long writeEvery = 1_000_000_000L / Math.max(1, s.applyRate());
      long nextWrite = startNanos + writeEvery / 3;
      long nextReport = startNanos + TimeUnit.SECONDS.toNanos(5);
      int i = 0;
      while (true) {
        long now = System.nanoTime();
        if (now >= end) {
          break;
        }
        // the most overdue kind of request goes first, so a late one cannot starve the others
        long create = s.rate() > 0 ? nextCreate : Long.MAX_VALUE;
        long read = s.getRate() > 0 ? nextGet : Long.MAX_VALUE;
        long lst = s.listRate() > 0 ? nextList : Long.MAX_VALUE;
        long write = s.comparesApply() ? nextWrite : Long.MAX_VALUE;
        long due = Math.min(Math.min(create, write), Math.min(read, lst));
        if (now >= due) {
          if (due == write) {
            sendWrite(writes++, due);
            nextWrite += writeEvery;
          } else if (due == create) {
            sendCreate(i++);
            nextCreate += createEvery;
          } else if (due == read) {
            sendGet();
            nextGet += getEvery;
          } else {
            sendList();
            nextList += listEvery;
          }
          continue;
        }
        if (now >= nextReport) {
          progress.printf(Locale.ROOT, "bench: %s %d creates, %d errors, %d watch events%n", prefix, created.get(),
              errors.get(), watchEvents.get());
          nextReport += TimeUnit.SECONDS.toNanos(5);
        }
        LockSupport.parkNanos(Math.max(0, Math.min(due, end) - now));
      }
      if (!inFlight.tryAcquire(s.clients(), 60, TimeUnit.SECONDS)) { // every request answered
        throw new IllegalStateException(unanswered.size() + " requests still unanswered 60 s after the last was sent, "
            + "e.g. " + unanswered.values().stream().limit(5).toList());
      }
      inFlight.release(s.clients());
      endNanos = System.nanoTime();
    }

    private void slot() throws InterruptedException {
      if (!inFlight.tryAcquire()) {
        behind.incrementAndGet(); // all clients busy: this send is late
        inFlight.acquire();
      }
    }

    /** Whether the request of that turn goes as the bench user: every other one when comparing. */
    private boolean asUser(int turn) {
      return userAuthorization != null && (turn & 1) == 1;
    }

    void sendCreate(int i) throws InterruptedException {
      slot();
      long t0 = System.nanoTime();
      boolean user = asUser(createTurn++);
      Recorder create = user ? createRbac : this.create;
      post("/api/v1/namespaces/" + CREATE_NS + "/configmaps", configMap(CREATE_NS, prefix + "-" + i, i),
          user ? userAuthorization : authorization)
          .whenComplete((r, err) -> {
            create.recordValue(Math.max(1, (System.nanoTime() - t0) / 1000));
            inFlight.release();
            if (err != null || r.statusCode() != 201) {
              failed("create", err != null ? err : r.statusCode() + " " + r.body());
            } else {
              created.incrementAndGet();
            }
          });
    }

    /**
     * The {@code n}th write of the comparison: applies and merge patches take turns, each object
     * getting one of each in a row; timed from {@code due}, when it should have been sent.
     */
    void sendWrite(long n, long due) throws InterruptedException {
      slot();
      int i = (int) ((n / 2) % s.applyObjects());
      long generation = n / 2 / s.applyObjects() + 1;
      boolean isApply = (n & 1) == 0;
      Recorder recorder = isApply ? apply : update;
      (isApply ? apply(i, generation) : mergePatch(i, generation)).whenComplete((r, err) -> {
        recorder.recordValue(Math.max(1, (System.nanoTime() - due) / 1000));
        inFlight.release();
        if (err != null || r.statusCode() != 200) {
          failed(isApply ? "apply" : "update", err != null ? err : r.statusCode() + " " + r.body());
        }
      });
    }

    void sendGet() throws InterruptedException {
      slot();
      long t0 = System.nanoTime();
      int n = ThreadLocalRandom.current().nextInt(s.listSize());
      boolean user = asUser(getTurn++);
      Recorder get = user ? getRbac : this.get;
      get("/api/v1/namespaces/" + LIST_NS + "/configmaps/l-" + n, user ? userAuthorization : authorization)
          .whenComplete((r, err) -> {
        get.recordValue(Math.max(1, (System.nanoTime() - t0) / 1000));
        inFlight.release();
        if (err != null || r.statusCode() != 200) {
          failed("get", err != null ? err : r.statusCode() + " " + r.body());
        }
      });
    }

    void sendList() throws InterruptedException {
      slot();
      long t0 = System.nanoTime();
      boolean user = asUser(listTurn++);
      Recorder list = user ? listRbac : this.list;
      get("/api/v1/namespaces/" + LIST_NS + "/configmaps", user ? userAuthorization : authorization)
          .whenComplete((r, err) -> {
        list.recordValue(Math.max(1, (System.nanoTime() - t0) / 1000));
        inFlight.release();
        if (err != null || r.statusCode() != 200) {
          failed("list", err != null ? err : r.statusCode() + " " + r.body());
        } else if (!r.body().contains("\"name\":\"l-" + (s.listSize() - 1) + "\"")) {
          failed("list", "the list misses l-" + (s.listSize() - 1));
        }
      });
    }
  }
}
