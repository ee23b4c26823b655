package io.capstan.loadtests.idle;

import io.capstan.loadtests.report.JsonLine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;

/**
 * What a cluster costs when nobody uses it: the CPU, memory and threads of its process, and how
 * many records and transactions it still writes, over a window with no workload. Measures a
 * running process (its pid, its Kafka and its /metrics); {@code capstan bench idle} starts one.
 *
 * <ul>
 *   <li>{@code cpu_cores}: the process's user+system CPU over the window, in cores;
 *   <li>{@code rss_mb}, {@code threads}: at the end of the window;
 *   <li>{@code records_per_s}: growth of the end offsets of every topic on the broker (commit
 *       markers take an offset each, so they count too);
 *   <li>{@code transactions_per_s}: the command processor's commits (each one transaction under
 *       exactly-once), from {@code kafka_stream_thread_commit_total} on /metrics.
 * </ul>
 */
public final class IdleBench {
  static final String COMMITS = "kafka_stream_thread_commit_total";
  private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*})?\\s+(\\S+)");

  /** What to measure: a process, its broker and its metrics endpoint, for {@code seconds}. */
  public record Target(long pid, String kafka, URI metrics) {}

  /** The figures of one window. */
  public record Result(double seconds, double cpuCores, long rssMb, int threads, double recordsPerSecond,
      double transactionsPerSecond, Map<String, Object> extra) {
    public String json() {
      JsonLine j = new JsonLine("idle")
          .put("seconds", seconds)
          .put("cpu_cores", Math.round(cpuCores * 1000) / 1000.0)
          .put("rss_mb", rssMb)
          .put("threads", threads)
          .put("records_per_s", recordsPerSecond)
          .put("transactions_per_s", transactionsPerSecond);
      extra.forEach(j::put);
      return j.toString();
    }
  }

  private IdleBench() {}

  /** Measures {@code target} over {@code window}. */
  public static Result measure(Target target, Duration window, Map<String, Object> extra) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, target.kafka()))) {
      long cpu0 = cpuTicks(target.pid());
      long records0 = endOffsets(admin);
      double commits0 = scrapeSum(http, target.metrics(), COMMITS);
      long t0 = System.nanoTime();
      Thread.sleep(window.toMillis());
      long cpu1 = cpuTicks(target.pid());
      // Before this bench's own reads below, which wake threads (a scrape's worker) for a while.
      long rss = rssMb(target.pid());
      int threads = threads(target.pid());
      long records1 = endOffsets(admin);
      double commits1 = scrapeSum(http, target.metrics(), COMMITS);
      double seconds = (System.nanoTime() - t0) / 1e9;
      return new Result(Math.round(seconds * 10) / 10.0, (cpu1 - cpu0) / (double) CLOCK_TICKS / seconds,
          rss, threads, (records1 - records0) / seconds, (commits1 - commits0) / seconds,
          extra);
    }
  }

  /** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
  static final long CLOCK_TICKS = 100;

  /** User plus system CPU of a process, in clock ticks ({@code /proc/PID/stat} fields 14 and 15). */
  static long cpuTicks(long pid) {
    String stat = read(Path.of("/proc", Long.toString(pid), "stat"));
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }

  static long rssMb(long pid) {
    return statusField(pid, "VmRSS:") / 1024;
  }

  static int threads(long pid) {
    return (int) statusField(pid, "Threads:");
  }

  private static long statusField(long pid, String name) {
    for (String line : read(Path.of("/proc", Long.toString(pid), "status")).split("\n")) {
      if (line.startsWith(name)) {
        return Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0]);
      }
    }
    throw new IllegalStateException("no " + name + " in /proc/" + pid + "/status");
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + p + " (is the process still running?)", e);
    }
  }

  /** The sum of the latest offsets of every partition of every topic, internal ones included. */
  static long endOffsets(Admin admin) throws InterruptedException, ExecutionException, TimeoutException {
    Set<String> topics = admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get(30, TimeUnit.SECONDS);
    Map<String, TopicDescription> described = admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS);
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    described.values().forEach(d -> d.partitions().forEach(p ->
        latest.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest())));
    long sum = 0;
    for (ListOffsetsResult.ListOffsetsResultInfo info : admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).values()) {
      sum += info.offset();
    }
    return sum;
  }

  /** The sum over every series of a metric on a Prometheus text page; 0 when it has none. */
  static double scrapeSum(HttpClient http, URI metrics, String name) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException(metrics + " answered " + r.statusCode());
    }
    return sumOf(r.body(), name);
  }

  static double sumOf(String page, String name) {
    double sum = 0;
    for (String line : page.split("\n")) {
      Matcher m = SAMPLE.matcher(line);
      if (m.find() && m.group(1).equals(name)) {
        sum += Double.parseDouble(m.group(3));
      }
    }
    return sum;
  }

  /** The parts of a {@code capstan ready: api=… kafka=… metrics=…} line, by name. */
  public static Map<String, String> readyLine(String line) {
    Map<String, String> m = new HashMap<>();
    for (String part : line.substring(line.indexOf(':') + 1).trim().split("\\s+")) {
      int eq = part.indexOf('=');
      if (eq > 0) {
        m.put(part.substring(0, eq), part.substring(eq + 1));
      }
    }
    for (String needed : List.of("kafka", "metrics")) {
      if (!m.containsKey(needed)) {
        throw new IllegalArgumentException("no " + needed + "= in the ready line: " + line);
      }
    }
    return m;
  }
}
