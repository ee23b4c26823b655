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
import io.capstan.loadtests.robustness.history.History;
import io.capstan.loadtests.robustness.history.Input;
import io.capstan.loadtests.robustness.history.LogEvent;
import io.capstan.loadtests.robustness.history.Operation;
import io.capstan.loadtests.robustness.history.Output;
import io.capstan.loadtests.robustness.history.WatchSession;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
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
 * <p>No faults are injected yet ({@code faults} is 0): the multi-process cluster with seeded
 * kills and pauses comes next, and drives the same clients and checks.
 */
public final class RobustnessBench {

  /** The run's settings; every default is here once. */
  public record Settings(Path kubeconfig, int seconds, long seed, int clients, int keys, int watchers,
      int partitions, Duration requestTimeout) {
    public static final int DEFAULT_SECONDS = 60;
    public static final long DEFAULT_SEED = 1;
    public static final int DEFAULT_CLIENTS = 6;
    public static final int DEFAULT_KEYS = 12;
    public static final int DEFAULT_WATCHERS = 2;
    public static final int DEFAULT_PARTITIONS = 4;
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);

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
      return new Settings(kubeconfig, s, seed, clients, keys, watchers, partitions, requestTimeout);
    }

    public Settings withSeed(long s) {
      return new Settings(kubeconfig, seconds, s, clients, keys, watchers, partitions, requestTimeout);
    }

    public Settings withPartitions(int p) {
      return new Settings(kubeconfig, seconds, seed, clients, keys, watchers, p, requestTimeout);
    }

    public Settings withKubeconfig(Path k) {
      return new Settings(k, seconds, seed, clients, keys, watchers, partitions, requestTimeout);
    }
  }

  /** The findings of one run. */
  public record Result(Settings settings, int operations, int unanswered, int watchSessions, long watchEvents,
      List<LinearizabilityChecker.KeyResult> anomalies, List<LinearizabilityChecker.KeyResult> unchecked,
      List<WatchChecker.Violation> watchViolations, List<String> lost, List<String> phantom, long checkMs) {
    public boolean clean() {
      return anomalies.isEmpty() && unchecked.isEmpty() && watchViolations.isEmpty() && lost.isEmpty()
          && phantom.isEmpty();
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
          .put("faults", 0)
          .put("linearizability_anomalies", anomalies.size())
          .put("watch_violations", watchViolations.size())
          .put("lost_acknowledged_writes", lost.size())
          .put("recovery_s_max", 0.0)
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
          .put("stack", settings.kubeconfig() == null ? "in-process" : "kubeconfig")
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
    try (InProcessStack stack = s.kubeconfig() == null
        ? InProcessStack.start(s.partitions(), io.capstan.gateway.server.GatewayConfig.defaultEventLoops(), progress,
            storeWrapper) : null) {
      ApiTarget target = ApiTarget.fromKubeconfig(stack != null ? stack.kubeconfig() : s.kubeconfig());
      ApiClient api = new ApiClient(target, s.requestTimeout());
      namespace = "robustness-" + s.seed() + "-" + Long.toString(System.currentTimeMillis(), 36);
      t0 = System.nanoTime();
      createNamespace(api);
      prepareKeys(api);
      progress.printf("robustness: %d clients and %d watchers on %d ConfigMaps in %s for %d s (seed %d)%n",
          s.clients(), s.watchers(), s.keys(), namespace, s.seconds(), s.seed());
      long end = System.nanoTime() + Duration.ofSeconds(s.seconds()).toNanos();
      List<Thread> threads = new ArrayList<>();
      for (int i = 0; i < s.clients(); i++) {
        RecordingClient c = new RecordingClient("c" + i, new ApiClient(target, s.requestTimeout()),
            new Random(s.seed() * 1_000_003 + i), end);
        threads.add(started(new Thread(c::run, "robustness-" + c.id)));
      }
      for (int i = 0; i < s.watchers(); i++) {
        Watcher w = new Watcher("w" + i, new ApiClient(target, s.requestTimeout()), new Random(s.seed() * 7 + i), end);
        threads.add(started(new Thread(w::run, "robustness-" + w.id)));
      }
      for (Thread t : threads) {
        t.join();
      }
      if (!failures.isEmpty()) {
        progress.println("robustness: client failures: " + failures);
      }
      Map<String, DurabilityChecker.FinalState> finals = finalState(api);
      List<LogEvent> log = eventLog(api);
      progress.printf("robustness: %d operations, %d watch sessions (%d events), %d events in the log; checking%n",
          history.size(), sessions.size(), watchEvents.get(), log.size());
      return check(finals, log);
    }
  }

  private Result check(Map<String, DurabilityChecker.FinalState> finals, List<LogEvent> log) {
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
        watch, durability.lost(), durability.phantom(), checkMs);
  }

  // ---- the namespace, the final state and the log ----

  private void createNamespace(ApiClient api) throws Exception {
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
  private void prepareKeys(ApiClient api) throws Exception {
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

  private String key(String name) {
    return "ConfigMap/" + namespace + "/" + name;
  }

  private static String configMap(String name, String value) {
    return "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"" + name + "\"},"
        + "\"data\":{\"v\":\"" + value + "\"}}";
  }

  private Map<String, DurabilityChecker.FinalState> finalState(ApiClient api) throws Exception {
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
  private List<LogEvent> eventLog(ApiClient api) throws Exception {
    ApiClient.Answer a = api.call("GET", "/apis/audit.capstan.io/v1/events?kind=configmaps&objects=true&namespace="
        + URLEncoder.encode(namespace, StandardCharsets.UTF_8), null, null);
    if (a.code() != 200) {
      throw new IllegalStateException("the audit API answered HTTP " + a.code() + " " + a.body());
    }
    List<LogEvent> log = new ArrayList<>();
    for (JsonNode e : a.body().path("items")) {
      String name = e.path("object").path("name").asText();
      if (name.equals("probe")) {
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
    final ApiClient api;
    final Random rnd;
    final long end;
    /** The version this client last saw per key: its compare-and-set preconditions (sometimes stale, as they are). */
    final Map<String, Long> seen = new HashMap<>();
    int seq;

    RecordingClient(String id, ApiClient api, Random rnd, long end) {
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
    final ApiClient api;
    final Random rnd;
    final long end;
    int n;

    Watcher(String id, ApiClient api, Random rnd, long end) {
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
            if (t != WatchSession.Type.BOOKMARK && "probe".equals(name)) {
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
        } catch (java.io.IOException e) {
          // the stream broke: what came is recorded, the next watch resumes after it
        }
      }
      sessions.add(new WatchSession(id + "-" + n++ + "@" + from, from, delivered, error));
      return error == 410 ? 0 : last;
    }
  }
}
