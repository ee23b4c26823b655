package io.capstan.loadtests.netprog;

import io.capstan.api.EndpointAddress;
import io.capstan.api.EndpointPort;
import io.capstan.api.EndpointSubset;
import io.capstan.api.Endpoints;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Service;
import io.capstan.api.ServicePort;
import io.capstan.api.ServiceSpec;
import io.capstan.loadtests.report.JsonLine;
import io.capstan.loadtests.stack.BenchStack;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.nodeagent.proxy.EndpointsSource;
import io.capstan.nodeagent.proxy.NftCommand;
import io.capstan.nodeagent.proxy.RulesApplier;
import io.capstan.nodeagent.proxy.ServiceProxy;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.InformerConfig;
import io.capstan.stateviews.informer.SharedInformers;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;

/**
 * Network programming latency, the Kubernetes SLI: from an endpoint change written to the API
 * (an Endpoints update through the command processor) to the service proxy's rules for it applied
 * on the node. S Services with E endpoints each are created (selector-less, with hand-written
 * Endpoints and an explicit ClusterIP); one node's proxy reads them through informers and programs
 * them with real {@code nft -f} into a network namespace of the bench's own (never the host's
 * ruleset), or generates only ({@code dry}). Then C changes, each replacing one endpoint of a
 * random service (one change per service in flight), are paced at R per second after W unmeasured
 * ones. Reported: latency p50/p99, the proxy's sync p99 (generation + apply), and the proxy's CPU
 * per change (its sync thread plus the nft processes it ran).
 */
public final class NetprogBench {
  static final String NAMESPACE = "netprog";

  /**
   * @param services        Services to create
   * @param endpoints       endpoints per Service
   * @param changes         measured endpoint changes
   * @param warmups         unmeasured changes first
   * @param rate            changes per second
   * @param dry             generate the rules only (no nft)
   * @param minSyncPeriod   the proxy's least time between syncs
   * @param stack           where Kafka and the command processor run
   */
  public record Settings(int services, int endpoints, int changes, int warmups, double rate, boolean dry,
      Duration minSyncPeriod, BenchStack.Settings stack) {
    public static final int DEFAULT_SERVICES = 1000;
    public static final int DEFAULT_ENDPOINTS = 10;
    public static final int DEFAULT_CHANGES = 300;
    public static final int DEFAULT_WARMUPS = 60;
    public static final double DEFAULT_RATE = 20;

    public Settings {
      if (services < 1 || services > 60000) {
        throw new IllegalArgumentException("--services must be in 1-60000, got " + services);
      }
      if (endpoints < 1 || endpoints > 250) {
        throw new IllegalArgumentException("--endpoints must be in 1-250, got " + endpoints);
      }
      if (changes < 1 || warmups < 0 || !(rate > 0)) {
        throw new IllegalArgumentException("--changes and --rate must be positive, --warmups not negative");
      }
    }
  }

  public record Result(int services, int endpoints, double p50Ms, double p99Ms, double syncMsP99, double fullSyncMs,
      double cpuMsPerChange, int changes, int syncs, boolean dry) {
    public String json() {
      return new JsonLine("netprog").put("services", services).put("endpoints_per_service", endpoints)
          .put("p50_ms", p50Ms).put("p99_ms", p99Ms).put("sync_ms_p99", syncMsP99)
          .put("cpu_ms_per_change", cpuMsPerChange).put("full_sync_ms", fullSyncMs).put("changes", changes)
          .put("syncs", syncs).put("mode", dry ? "dry" : "nft").toString();
    }
  }

  private NetprogBench() {}

  public static Result run(Settings s, PrintStream progress) throws Exception {
    MeterRegistry registry = new SimpleMeterRegistry();
    String netns = null;
    RulesApplier applier = RulesApplier.DRY;
    if (!s.dry()) {
      NftCommand.requireInstalled();
      netns = "capstan-bench-netprog-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
      run("ip", "netns", "add", netns);
      applier = NftCommand.inNamespace(netns);
    }
    try (BenchStack stack = BenchStack.start(s.stack(), registry, progress);
        CommandClient client = CommandClient.unshared(CommandClientConfig.defaults(stack.kafka(), stack.layout(),
            "bench-netprog"), registry);
        SharedInformers informers = new SharedInformers(InformerConfig.defaults(stack.kafka(), stack.layout(),
            "bench-netprog-node"), registry)) {
      Map<String, Endpoints> current = new ConcurrentHashMap<>();
      progress.printf("bench: creating %d services with %d endpoints each%n", s.services(), s.endpoints());
      create(client, s, current);

      Informer<Service> services = informers.informerFor(Kinds.SERVICE, Service.class);
      Informer<Endpoints> endpoints = informers.informerFor(Kinds.ENDPOINTS, Endpoints.class);
      EndpointsSource source = new EndpointsSource(services, endpoints, Clock.systemUTC());
      ServiceProxy proxy = new ServiceProxy(source, applier, null, m -> progress.println("bench: refused: " + m),
          new ServiceProxy.Settings(s.minSyncPeriod(), ServiceProxy.Settings.DEFAULT_SYNC_PERIOD, true), registry,
          "bench", Clock.systemUTC());
      Map<String, Instant> outstanding = new ConcurrentHashMap<>();
      Histogram latency = new Histogram(3_600_000_000L, 3);
      Histogram syncMicros = new Histogram(3_600_000_000L, 3);
      AtomicReference<Double> fullSyncMs = new AtomicReference<>(Double.NaN);
      CountDownLatch allProgrammed = new CountDownLatch(1);
      Semaphore measuring = new Semaphore(0);
      boolean[] measure = {false};
      int[] syncs = {0};
      proxy.addSyncListener(r -> {
        if (r.full()) {
          fullSyncMs.set(r.duration().toNanos() / 1e6);
        }
        if (r.ports() >= s.services()) {
          allProgrammed.countDown();
        }
        synchronized (measure) {
          if (measure[0]) {
            syncs[0]++;
            syncMicros.recordValue(Math.max(1, r.duration().toNanos() / 1000));
          }
        }
        for (String key : r.triggers().keySet()) {
          Instant sent = outstanding.remove(key);
          if (sent != null) {
            synchronized (measure) {
              if (measure[0]) {
                latency.recordValue(Math.max(1, Duration.between(sent, r.appliedAt()).toNanos() / 1000));
              }
            }
            measuring.release();
          }
        }
      });
      try {
        informers.start();
        if (!informers.awaitSynced(BenchStack.START_TIMEOUT)) {
          throw new IllegalStateException("the proxy's informers did not sync within " + BenchStack.START_TIMEOUT);
        }
        proxy.start();
        if (!allProgrammed.await(5, TimeUnit.MINUTES)) {
          throw new IllegalStateException("the proxy did not program all " + s.services() + " services in 5 minutes");
        }
        progress.printf("bench: all services programmed (%s, whole table in %.0f ms); %d warm-up changes%n",
            s.dry() ? "dry" : "nft -f in netns " + netns, fullSyncMs.get(), s.warmups());
        SplittableRandom random = new SplittableRandom(42);
        change(client, s, current, outstanding, random, s.warmups(), measuring, progress);
        synchronized (measure) {
          measure[0] = true;
        }
        long cpu0 = proxyCpuNanos();
        progress.printf("bench: %d measured changes at %.0f/s%n", s.changes(), s.rate());
        change(client, s, current, outstanding, random, s.changes(), measuring, progress);
        long cpu = proxyCpuNanos() - cpu0;
        synchronized (measure) {
          measure[0] = false;
          return new Result(s.services(), s.endpoints(), latency.getValueAtPercentile(50) / 1000.0,
              latency.getValueAtPercentile(99) / 1000.0, syncMicros.getValueAtPercentile(99) / 1000.0,
              fullSyncMs.get(), cpu / 1e6 / s.changes(), s.changes(), syncs[0], s.dry());
        }
      } finally {
        proxy.close();
      }
    } finally {
      if (netns != null) {
        run("ip", "netns", "del", netns);
      }
    }
  }

  static String ip(int n) {
    return (n >>> 24) + "." + ((n >> 16) & 255) + "." + ((n >> 8) & 255) + "." + (n & 255);
  }

  private static final int CLUSTER_IPS = (10 << 24) | (96 << 16);
  private static final int POD_IPS = (10 << 24) | (128 << 16);

  private static Endpoints endpointsOf(String name, List<String> ips, Instant trigger) {
    List<EndpointAddress> addresses = new ArrayList<>(ips.size());
    for (String a : ips) {
      addresses.add(EndpointAddress.newBuilder().setIp(a).build());
    }
    Map<String, String> ann = new HashMap<>();
    ann.put(EndpointsSource.TRIGGER_TIME, trigger.toString());
    return Endpoints.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace(NAMESPACE).setName(name)
            .setAnnotations(ann).build())
        .setSubsets(List.of(EndpointSubset.newBuilder().setAddresses(addresses)
            .setPorts(List.of(EndpointPort.newBuilder().setName("http").setPort(8080).build())).build()))
        .build();
  }

  private static void create(CommandClient client, Settings s, Map<String, Endpoints> current) throws Exception {
    CommandResult ns = client.create(io.capstan.api.Namespace.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setName(NAMESPACE).build()).build()).get(30, TimeUnit.SECONDS);
    if (ns instanceof CommandResult.Rejected rej && !"AlreadyExists".equals(rej.status().getReason())) {
      throw new IllegalStateException("creating namespace " + NAMESPACE + ": " + rej.status().getMessage());
    }
    Semaphore inFlight = new Semaphore(64);
    List<CompletableFuture<?>> all = new ArrayList<>();
    for (int i = 0; i < s.services(); i++) {
      String name = "svc-" + i;
      Service svc = Service.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace(NAMESPACE).setName(name)
              .build())
          .setSpec(ServiceSpec.newBuilder().setClusterIP(ip(CLUSTER_IPS + 1 + i)).setType("ClusterIP")
              .setPorts(List.of(ServicePort.newBuilder().setName("http").setPort(80).setTargetPort(8080).build()))
              .build())
          .build();
      List<String> ips = new ArrayList<>();
      for (int j = 0; j < s.endpoints(); j++) {
        ips.add(ip(POD_IPS + i * 256 + j + 1));
      }
      Endpoints ep = endpointsOf(name, ips, Instant.now());
      for (var object : List.of(svc, ep)) {
        inFlight.acquire();
        all.add(client.create(object).whenComplete((r, e) -> inFlight.release()).thenAccept(r -> {
          if (r instanceof CommandResult.Rejected rej) {
            throw new IllegalStateException("creating " + name + " was refused: " + rej.status().getMessage());
          }
          if (r instanceof CommandResult.Accepted a && a.object() instanceof Endpoints created) {
            current.put(name, created);
          }
        }));
      }
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
  }

  /** Sends {@code count} changes at the rate, each to a service with no change in flight, and waits for them all. */
  private static void change(CommandClient client, Settings s, Map<String, Endpoints> current,
      Map<String, Instant> outstanding, SplittableRandom random, int count, Semaphore programmed, PrintStream progress)
      throws Exception {
    long intervalNanos = (long) (1e9 / s.rate());
    long next = System.nanoTime();
    for (int n = 0; n < count; n++) {
      long wait = next - System.nanoTime();
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait);
      }
      next += intervalNanos;
      String name;
      do {
        name = "svc-" + random.nextInt(s.services());
      } while (outstanding.containsKey(NAMESPACE + "/" + name));
      Endpoints old = current.get(name);
      List<String> ips = new ArrayList<>();
      old.getSubsets().get(0).getAddresses().forEach(a -> ips.add(a.getIp()));
      int slot = random.nextInt(ips.size());
      int i = Integer.parseInt(name.substring(4));
      // a fresh address in the service's own block: 1..255 cycling past the initial ones
      int last = Integer.parseInt(ips.get(slot).substring(ips.get(slot).lastIndexOf('.') + 1));
      int fresh = last;
      while (ips.contains(ip(POD_IPS + i * 256 + fresh))) {
        fresh = fresh % 254 + 1;
      }
      ips.set(slot, ip(POD_IPS + i * 256 + fresh));
      Instant sent = Instant.now();
      Endpoints changed = endpointsOf(name, ips, sent);
      changed.getMetadata().setResourceVersion(old.getMetadata().getResourceVersion());
      changed.getMetadata().setUid(old.getMetadata().getUid());
      outstanding.put(NAMESPACE + "/" + name, sent);
      String key = name;
      CommandResult r = client.update(changed).get(30, TimeUnit.SECONDS);
      if (r instanceof CommandResult.Accepted a) {
        current.put(key, (Endpoints) a.object());
      } else if (r instanceof CommandResult.Rejected rej) {
        throw new IllegalStateException("updating " + key + " was refused: " + rej.status().getMessage());
      }
    }
    if (!programmed.tryAcquire(count, 2, TimeUnit.MINUTES)) {
      throw new IllegalStateException((count - programmed.availablePermits()) + " changes were not programmed in 2 minutes");
    }
  }

  /** CPU of the proxy's sync thread plus that of the processes it ran (nft), in nanoseconds. */
  private static long proxyCpuNanos() throws IOException {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long total = 0;
    for (long id : threads.getAllThreadIds()) {
      ThreadInfo info = threads.getThreadInfo(id);
      if (info != null && info.getThreadName().startsWith("capstan-service-proxy-")) {
        total += Math.max(0, threads.getThreadCpuTime(id));
      }
    }
    // /proc/self/stat fields 16 and 17: children's user and system time in clock ticks (100 per second)
    String stat = Files.readString(Path.of("/proc/self/stat"), StandardCharsets.US_ASCII);
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    long ticks = Long.parseLong(f[13]) + Long.parseLong(f[14]);
    return total + ticks * 10_000_000L;
  }

  private static void run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException(String.join(" ", cmd) + " failed (are you root?): " + out.strip());
    }
  }
}
