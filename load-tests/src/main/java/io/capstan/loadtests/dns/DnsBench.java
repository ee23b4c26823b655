package io.capstan.loadtests.dns;

import io.capstan.api.EndpointAddress;
import io.capstan.api.EndpointPort;
import io.capstan.api.EndpointSubset;
import io.capstan.api.Endpoints;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Service;
import io.capstan.api.ServicePort;
import io.capstan.api.ServiceSpec;
import io.capstan.loadtests.report.CpuAccount;
import io.capstan.loadtests.report.JsonLine;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.client.CommandResult;
import io.capstan.nodeagent.dns.ClusterDns;
import io.capstan.nodeagent.dns.ClusterDnsConfig;
import io.capstan.stateviews.bootstrap.SystemNamespaces;
import io.capstan.loadtests.stack.BenchStack;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * The cluster DNS under an open-loop load on loopback: a real cluster (embedded broker, command
 * processor) holds {@code services} ClusterIP Services and {@code headless} headless ones with
 * {@code endpoints} endpoints each; the DNS server reads them through its informers and serves on
 * one Vert.x event loop. A sender asks over UDP at a fixed rate for random cluster names (A of a
 * Service, A of a headless Service, SRV of a named port); each query's latency is counted from when
 * it was due, not when it was sent, so a server that falls behind shows it (no coordinated
 * omission). After a warm-up the measured phase gives the answered queries per second, p50/p99,
 * and the DNS event loop's CPU per 1000 queries.
 */
public final class DnsBench {
  public static final int DEFAULT_SERVICES = 1000;
  public static final int DEFAULT_HEADLESS = 50;
  public static final int DEFAULT_ENDPOINTS = 10;
  public static final int DEFAULT_RATE = 20_000;
  public static final int DEFAULT_SECONDS = 20;
  public static final int DEFAULT_WARMUP_SECONDS = 10;
  static final String NAMESPACE = "bench";
  /** Queries still unanswered this long after the run count as lost. */
  static final Duration DRAIN = Duration.ofSeconds(2);
  /** The sender's least sleep: queries due within it are sent in one burst. */
  static final long SEND_TICK_NANOS = 200_000;

  /**
   * @param services  ClusterIP Services
   * @param headless  headless Services
   * @param endpoints endpoints of each headless Service
   * @param rate      queries per second asked
   * @param seconds   measured seconds
   * @param warmupSeconds unmeasured seconds at the same rate first
   */
  public record Settings(int services, int headless, int endpoints, int rate, int seconds, int warmupSeconds) {
    public Settings {
      if (services < 1 || headless < 0 || endpoints < 1 || rate < 1 || seconds < 1 || warmupSeconds < 0) {
        throw new IllegalArgumentException("--services, --endpoints, --rate and --seconds must be at least 1,"
            + " --headless and --warmup-seconds not negative");
      }
      if (services > 65_000 || headless > 250 || endpoints > 250) {
        throw new IllegalArgumentException("at most 65000 services, 250 headless services of 250 endpoints each");
      }
    }
  }

  /** The figures of a run. */
  public record Result(Settings settings, long answered, long lost, long errors, double seconds, double p50Ms,
      double p99Ms, double maxMs, double cpuMsPer1000, double processCpuMsPer1000) {
    public double queriesPerSecond() {
      return answered / seconds;
    }

    public String json() {
      return new JsonLine("dns").put("queries_per_s", queriesPerSecond()).put("p50_ms", p50Ms).put("p99_ms", p99Ms)
          .put("cpu_ms_per_1000", cpuMsPer1000).put("max_ms", maxMs).put("process_cpu_ms_per_1000", processCpuMsPer1000)
          .put("rate", settings.rate()).put("answered", answered).put("lost", lost).put("errors", errors)
          .put("services", settings.services()).put("headless", settings.headless())
          .put("endpoints", settings.endpoints()).put("seconds", settings.seconds()).toString();
    }
  }

  private DnsBench() {}

  public static Result run(Settings s, PrintStream progress) throws Exception {
    MeterRegistry registry = new SimpleMeterRegistry();
    try (BenchStack stack = BenchStack.start(new BenchStack.Settings(null, Map.of(), "", 1, true), registry, progress);
        CommandClient client = CommandClient.unshared(CommandClientConfig.defaults(stack.kafka(), stack.layout(), "bench"),
            registry)) {
      SystemNamespaces.ensure(client, Duration.ofMinutes(1));
      progress.printf("bench: creating %d Services and %d headless ones of %d endpoints%n", s.services(), s.headless(),
          s.endpoints());
      populate(client, s);
      ClusterDnsConfig config = ClusterDnsConfig.defaults("127.0.0.1", 0).withUpstreams(List.of())
          .withPublishEndpoints(false);
      try (ClusterDns dns = new ClusterDns(config, stack.kafka(), stack.layout(), null, null, registry)) {
        dns.start(Duration.ofMinutes(2));
        List<byte[]> queries = queries(s);
        InetSocketAddress server = new InetSocketAddress("127.0.0.1", dns.port());
        awaitAnswered(server, queries.get(queries.size() - 1));
        if (s.warmupSeconds() > 0) {
          progress.printf("bench: warming up for %d s at %d queries/s%n", s.warmupSeconds(), s.rate());
          load(server, queries, s.rate(), s.warmupSeconds(), null);
        }
        progress.printf("bench: measuring %d s at %d queries/s%n", s.seconds(), s.rate());
        CpuAccount cpu = CpuAccount.start();
        Load l = load(server, queries, s.rate(), s.seconds(), cpu);
        CpuAccount.Spent spent = l.spent;
        progress.print(spent.table(6));
        long loop = spent.byThreadGroup().entrySet().stream().filter(e -> e.getKey().startsWith("vert.x-eventloop"))
            .mapToLong(Map.Entry::getValue).sum();
        return new Result(s, l.answered, l.lost, l.errors, l.seconds, l.latency.getValueAtPercentile(50) / 1000.0,
            l.latency.getValueAtPercentile(99) / 1000.0, l.latency.getMaxValue() / 1000.0,
            l.answered == 0 ? Double.NaN : loop / 1e6 / l.answered * 1000, spent.msPer(l.answered) * 1000);
      }
    }
  }

  private static void populate(CommandClient client, Settings s) throws Exception {
    List<CompletableFuture<CommandResult>> writes = new ArrayList<>();
    writes.add(client.create(io.capstan.api.Namespace.newBuilder().setMetadata(ObjectMeta.newBuilder()
        .setName(NAMESPACE).build()).build()));
    await(writes);
    for (int i = 0; i < s.services(); i++) {
      writes.add(client.create(service("svc-" + i, clusterIp(i))));
      if (writes.size() >= 500) {
        await(writes);
      }
    }
    for (int h = 0; h < s.headless(); h++) {
      writes.add(client.create(service("headless-" + h, "None")));
      List<EndpointAddress> addresses = new ArrayList<>();
      for (int e = 0; e < s.endpoints(); e++) {
        addresses.add(EndpointAddress.newBuilder().setIp("10.244." + (h + 1) + "." + (e + 1)).build());
      }
      writes.add(client.create(Endpoints.newBuilder().setMetadata(meta("headless-" + h)).setSubsets(List.of(
          EndpointSubset.newBuilder().setAddresses(addresses).setPorts(List.of(EndpointPort.newBuilder()
              .setName("http").setPort(8080).setProtocol("TCP").build())).build())).build()));
      if (writes.size() >= 500) {
        await(writes);
      }
    }
    await(writes);
  }

  private static void await(List<CompletableFuture<CommandResult>> writes) throws Exception {
    for (CompletableFuture<CommandResult> w : writes) {
      CommandResult r = w.get(2, TimeUnit.MINUTES);
      if (r instanceof CommandResult.Rejected rej) {
        throw new IllegalStateException("bench setup write refused: " + rej.status().getMessage());
      }
    }
    writes.clear();
  }

  /** 10.96.(1 + i / 250).(1 + i % 250): inside the default service CIDR, clear of 10.96.0.x. */
  static String clusterIp(int i) {
    return "10.96." + (1 + i / 250) + "." + (1 + i % 250);
  }

  private static ObjectMeta meta(String name) {
    return ObjectMeta.newBuilder().setNamespace(NAMESPACE).setName(name).build();
  }

  private static Service service(String name, String clusterIp) {
    return Service.newBuilder().setMetadata(meta(name)).setSpec(ServiceSpec.newBuilder().setClusterIP(clusterIp)
        .setPorts(List.of(ServicePort.newBuilder().setName("http").setPort(80).setProtocol("TCP").build())).build())
        .build();
  }

  /** The queries asked, in wire form (ids patched per send): 80% A of Services, 10% headless A, 10% SRV. */
  static List<byte[]> queries(Settings s) {
    List<byte[]> out = new ArrayList<>();
    java.util.Random random = new java.util.Random(42);
    for (int i = 0; i < 4096; i++) {
      int kind = random.nextInt(10);
      String name;
      int type = Type.A;
      if (kind == 0 && s.headless() > 0) {
        name = "headless-" + random.nextInt(s.headless()) + "." + NAMESPACE + ".svc.cluster.local.";
      } else if (kind == 1) {
        name = "_http._tcp.svc-" + random.nextInt(s.services()) + "." + NAMESPACE + ".svc.cluster.local.";
        type = Type.SRV;
      } else {
        name = "svc-" + random.nextInt(s.services()) + "." + NAMESPACE + ".svc.cluster.local.";
      }
      out.add(Message.newQuery(Record.newRecord(Name.fromConstantString(name), type, DClass.IN)).toWire());
    }
    // the last one names the last Service written: when it resolves, every Service has been read
    out.add(Message.newQuery(Record.newRecord(Name.fromConstantString("svc-" + (s.services() - 1) + "." + NAMESPACE
        + ".svc.cluster.local."), Type.A, DClass.IN)).toWire());
    return out;
  }

  private static void awaitAnswered(InetSocketAddress server, byte[] query) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    org.xbill.DNS.SimpleResolver resolver = new org.xbill.DNS.SimpleResolver(server);
    resolver.setTimeout(Duration.ofSeconds(1));
    while (System.nanoTime() < deadline) {
      try {
        Message m = resolver.send(new Message(query));
        if (m.getRcode() == org.xbill.DNS.Rcode.NOERROR && m.getSectionArray(org.xbill.DNS.Section.ANSWER).length > 0) {
          return;
        }
      } catch (IOException e) {
        // not answering yet
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("the DNS server did not answer for every Service within 2 minutes");
  }

  private static final class Load {
    final Histogram latency = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
    long answered;
    long lost;
    long errors;
    double seconds;
    CpuAccount.Spent spent;
  }

  /**
   * Asks at {@code rate} for {@code seconds}: query n is due at start + n / rate; its latency runs
   * from then to its answer. IDs cycle through 16 bits; a query still open when its id comes round
   * again (65536 queries later) is lost.
   */
  private static Load load(InetSocketAddress server, List<byte[]> queries, int rate, int seconds, CpuAccount cpu)
      throws IOException, InterruptedException {
    Load out = new Load();
    AtomicLongArray due = new AtomicLongArray(65536); // due time (ns) of the open query with that id, 0 if none
    AtomicLong answered = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    AtomicLong lastAnswer = new AtomicLong();
    long total = (long) rate * seconds;
    long interval = 1_000_000_000L / rate;
    try (DatagramChannel ch = DatagramChannel.open()) {
      ch.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 4 << 20);
      ch.connect(server);
      Thread receiver = new Thread(() -> {
        ByteBuffer in = ByteBuffer.allocateDirect(4096);
        while (true) {
          try {
            in.clear();
            if (ch.read(in) < 12) {
              continue;
            }
            long now = System.nanoTime();
            int id = in.getShort(0) & 0xffff;
            long was = due.getAndSet(id, 0);
            if (was == 0) {
              continue; // late answer of a query counted as lost
            }
            boolean ok = (in.get(3) & 0x0f) == 0 && (in.getShort(6) & 0xffff) > 0;
            if (!ok) {
              errors.incrementAndGet();
            }
            synchronized (out.latency) {
              out.latency.recordValue(Math.max(1, (now - was) / 1000));
            }
            answered.incrementAndGet();
            lastAnswer.set(now);
          } catch (IOException e) {
            return; // closed
          }
        }
      }, "capstan-bench-dns-receiver");
      receiver.setDaemon(true);
      receiver.start();
      ByteBuffer outBuf = ByteBuffer.allocateDirect(512);
      long lost = 0;
      long start = System.nanoTime();
      for (long n = 0; n < total; n++) {
        long when = start + n * interval;
        // Sleep until the query is due, in ticks of at least SEND_TICK: the queries due meanwhile go
        // out together (each still timed from its own due time), so the sender spins on no core.
        long wait = when - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(Math.max(wait, SEND_TICK_NANOS));
        }
        int id = (int) (n & 0xffff);
        if (due.getAndSet(id, when) != 0) {
          lost++;
        }
        byte[] q = queries.get((int) (n % queries.size()));
        outBuf.clear();
        outBuf.put(q);
        outBuf.putShort(0, (short) id);
        outBuf.flip();
        ch.write(outBuf);
      }
      long end = start + total * interval;
      long drainUntil = System.nanoTime() + DRAIN.toNanos();
      while (System.nanoTime() < drainUntil && openCount(due) > 0) {
        Thread.sleep(10);
      }
      out.spent = cpu == null ? null : cpu.spent();
      out.lost = lost + openCount(due);
      ch.close();
      receiver.join(5000);
      out.answered = answered.get();
      out.errors = errors.get();
      // the run lasts from the first due time to the last answer, at least the asking time
      out.seconds = (Math.max(end, lastAnswer.get()) - start) / 1e9;
    }
    return out;
  }

  private static long openCount(AtomicLongArray due) {
    long n = 0;
    for (int i = 0; i < due.length(); i++) {
      if (due.get(i) != 0) {
        n++;
      }
    }
    return n;
  }
}
