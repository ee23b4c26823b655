package io.capstan.nodeagent.dns;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.datagram.DatagramSocket;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.parsetools.RecordParser;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;

/**
 * The cluster's DNS server on one address: UDP and TCP on the same port, served on one Vert.x
 * event loop (no thread per socket or query). Names of the {@link ClusterZone} are answered from
 * its informers; other names go to the upstream resolvers (dnsjava's resolver, asynchronously) and
 * their answers come back as they are. UDP answers larger than the client takes (512 bytes, or
 * its EDNS payload size) are truncated with TC set, so the client asks again over TCP.
 *
 * <p>Metrics: {@code capstan_dns_queries_total{rcode,source}} (source {@code cluster} or
 * {@code forward}) and {@code capstan_dns_request_duration_seconds{proto}}.
 */
public final class ClusterDnsServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ClusterDnsServer.class);
  /** The largest UDP answer without EDNS (RFC 1035). */
  static final int CLASSIC_UDP_SIZE = 512;
  /** What the server offers with EDNS (the DNS flag day 2020 default). */
  static final int EDNS_UDP_SIZE = 1232;
  static final Duration UPSTREAM_TIMEOUT = Duration.ofSeconds(5);
  /**
   * Socket buffers that ride out short bursts while the event loop waits for a core (the kernel may
   * cap them); not more: under overload a dropped query (the client retries) beats one answered
   * seconds late.
   */
  static final int RECEIVE_BUFFER = 1 << 20;

  private final Vertx vertx;
  private final ClusterZone zone;
  private final Resolver upstream;
  private final MeterRegistry registry;
  /** Counters by rcode (0..15) and source (0 cluster, 1 forward), made on first use. */
  private final Counter[][] queries = new Counter[16][2];
  private final Timer udpLatency;
  private final Timer tcpLatency;
  private Context context;
  private DatagramSocket udp;
  private NetServer tcp;
  private String host;
  private int port;

  /**
   * @param upstreams the resolvers other names go to ({@code host:port} or {@code host}); none: such
   *                  names are refused (REFUSED)
   */
  public ClusterDnsServer(Vertx vertx, ClusterZone zone, List<java.net.InetSocketAddress> upstreams,
      MeterRegistry registry) {
    this.vertx = vertx;
    this.zone = zone;
    this.registry = registry;
    this.upstream = upstreams.isEmpty() ? null : resolver(upstreams);
    this.udpLatency = Timer.builder("capstan_dns_request_duration").description("Time to answer one DNS query")
        .tag("proto", "udp").publishPercentileHistogram().register(registry);
    this.tcpLatency = Timer.builder("capstan_dns_request_duration").description("Time to answer one DNS query")
        .tag("proto", "tcp").publishPercentileHistogram().register(registry);
  }

  private static Resolver resolver(List<java.net.InetSocketAddress> upstreams) {
    List<Resolver> each = upstreams.stream().<Resolver>map(a -> {
      SimpleResolver r = new SimpleResolver(a);
      r.setTimeout(UPSTREAM_TIMEOUT);
      return r;
    }).toList();
    ExtendedResolver r = new ExtendedResolver(each);
    r.setTimeout(UPSTREAM_TIMEOUT);
    r.setRetries(2);
    r.setLoadBalance(false); // the host's order, as the stub resolver uses them
    return r;
  }

  /**
   * Listens on {@code host:port} (UDP and TCP; port 0 picks one free for both) and returns the port.
   *
   * @throws IOException when the address cannot be bound
   */
  public int start(String host, int port) throws IOException {
    this.host = host;
    IOException last = null;
    for (int attempt = 0; attempt < (port == 0 ? 5 : 1); attempt++) {
      try {
        bind(host, port);
        log.info("cluster DNS for {} listening on {}:{} (UDP and TCP){}", zone.zone(), host, this.port,
            upstream == null ? ", no upstream resolvers" : "");
        return this.port;
      } catch (IOException e) {
        last = e; // the UDP port picked may be taken for TCP: try another
      }
    }
    throw last;
  }

  private void bind(String host, int wanted) throws IOException {
    DatagramSocket socket = vertx.createDatagramSocket(new DatagramSocketOptions()
        .setReceiveBufferSize(RECEIVE_BUFFER).setSendBufferSize(RECEIVE_BUFFER));
    try {
      socket.handler(p -> onUdp(socket, p.data(), p.sender().port(), p.sender().host()));
      socket.exceptionHandler(e -> log.debug("cluster DNS UDP socket: {}", e.toString()));
      await(socket.listen(wanted, host), "bind UDP " + host + ":" + wanted);
      int bound = socket.localAddress().port();
      NetServer server = vertx.createNetServer();
      server.connectHandler(this::onTcp);
      try {
        await(server.listen(bound, host), "bind TCP " + host + ":" + bound);
      } catch (IOException e) {
        server.close();
        throw e;
      }
      this.udp = socket;
      this.tcp = server;
      this.port = bound;
    } catch (IOException e) {
      socket.close();
      throw e;
    }
  }

  private static <T> T await(io.vertx.core.Future<T> f, String what) throws IOException {
    try {
      return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(what + ": interrupted", e);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      Throwable c = e.getCause() == null ? e : e.getCause();
      throw new IOException("cluster DNS cannot " + what + ": " + c.getMessage(), c);
    }
  }

  public String host() {
    return host;
  }

  public int port() {
    return port;
  }

  // ---- UDP ----

  private void onUdp(DatagramSocket socket, Buffer data, int senderPort, String senderHost) {
    long start = System.nanoTime();
    Message query;
    try {
      query = new Message(data.getBytes());
    } catch (IOException e) {
      formErr(data.getBytes()).ifPresent(b -> socket.send(Buffer.buffer(b), senderPort, senderHost));
      return;
    }
    int max = maxUdpSize(query);
    handle(query, "udp", reply -> {
      socket.send(Buffer.buffer(reply.toWire(max)), senderPort, senderHost);
      udpLatency.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    });
  }

  static int maxUdpSize(Message query) {
    OPTRecord opt = query.getOPT();
    return opt == null ? CLASSIC_UDP_SIZE : Math.max(CLASSIC_UDP_SIZE, Math.min(opt.getPayloadSize(), EDNS_UDP_SIZE));
  }

  // ---- TCP: each message prefixed by its two-byte length (RFC 1035 4.2.2) ----

  private void onTcp(NetSocket socket) {
    RecordParser parser = RecordParser.newFixed(2);
    boolean[] readingLength = {true};
    parser.handler(chunk -> {
      if (readingLength[0]) {
        int len = chunk.getUnsignedShort(0);
        if (len == 0) {
          socket.close();
          return;
        }
        readingLength[0] = false;
        parser.fixedSizeMode(len);
        return;
      }
      readingLength[0] = true;
      parser.fixedSizeMode(2);
      long start = System.nanoTime();
      Message query;
      try {
        query = new Message(chunk.getBytes());
      } catch (IOException e) {
        formErr(chunk.getBytes()).ifPresent(b -> writeTcp(socket, b));
        return;
      }
      handle(query, "tcp", reply -> {
        writeTcp(socket, reply.toWire());
        tcpLatency.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
      });
    });
    socket.handler(parser);
    socket.exceptionHandler(e -> socket.close());
  }

  private static void writeTcp(NetSocket socket, byte[] message) {
    Buffer b = Buffer.buffer(message.length + 2);
    b.appendUnsignedShort(message.length).appendBytes(message);
    socket.write(b);
  }

  // ---- answering ----

  /** Answers a query: from the zone, else upstream; {@code reply} runs on the event loop. */
  private void handle(Message query, String proto, java.util.function.Consumer<Message> reply) {
    Header qh = query.getHeader();
    Record question = query.getQuestion();
    if (qh.getFlag(Flags.QR)) {
      return; // an answer sent to us: never answer answers
    }
    if (qh.getOpcode() != Opcode.QUERY) {
      reply.accept(count(error(query, Rcode.NOTIMP), "cluster"));
      return;
    }
    if (question == null || query.getSectionArray(Section.QUESTION).length != 1) {
      reply.accept(count(error(query, Rcode.FORMERR), "cluster"));
      return;
    }
    Optional<ClusterZone.Answer> answer = zone.answer(question.getName(), question.getType());
    if (answer.isPresent()) {
      reply.accept(count(response(query, answer.get()), "cluster"));
      return;
    }
    if (upstream == null) {
      reply.accept(count(error(query, Rcode.REFUSED), "forward"));
      return;
    }
    Message forwarded = query.clone();
    forwarded.removeAllRecords(Section.ADDITIONAL); // the resolver adds its own EDNS
    Context ctx = vertx.getOrCreateContext();
    Executor onLoop = r -> ctx.runOnContext(v -> r.run());
    upstream.sendAsync(forwarded, onLoop).whenComplete((m, e) -> {
      Message out;
      if (e != null) {
        log.debug("upstream resolution of {} failed: {}", question.getName(), e.toString());
        out = error(query, Rcode.SERVFAIL);
      } else {
        out = m;
        out.getHeader().setID(qh.getID());
        out.removeAllRecords(Section.ADDITIONAL);
        for (Record r : m.getSectionArray(Section.ADDITIONAL)) {
          if (!(r instanceof OPTRecord)) {
            out.addRecord(r, Section.ADDITIONAL);
          }
        }
        addOpt(query, out);
      }
      reply.accept(count(out, "forward"));
    });
  }

  private Message response(Message query, ClusterZone.Answer a) {
    Message m = header(query, a.rcode());
    m.getHeader().setFlag(Flags.AA);
    for (Record r : a.answer()) {
      m.addRecord(r, Section.ANSWER);
    }
    for (Record r : a.authority()) {
      m.addRecord(r, Section.AUTHORITY);
    }
    for (Record r : a.additional()) {
      m.addRecord(r, Section.ADDITIONAL);
    }
    addOpt(query, m);
    return m;
  }

  private static Message header(Message query, int rcode) {
    Message m = new Message(query.getHeader().getID());
    Header h = m.getHeader();
    h.setFlag(Flags.QR);
    h.setOpcode(query.getHeader().getOpcode());
    if (query.getHeader().getFlag(Flags.RD)) {
      h.setFlag(Flags.RD);
    }
    h.setFlag(Flags.RA);
    h.setRcode(rcode);
    if (query.getQuestion() != null) {
      m.addRecord(query.getQuestion(), Section.QUESTION);
    }
    return m;
  }

  private static Message error(Message query, int rcode) {
    Message m = header(query, rcode);
    addOpt(query, m);
    return m;
  }

  private static void addOpt(Message query, Message m) {
    if (query.getOPT() != null && m.getOPT() == null) {
      m.addRecord(new OPTRecord(EDNS_UDP_SIZE, 0, 0), Section.ADDITIONAL);
    }
  }

  /** A FORMERR for bytes that do not parse as a message but carry at least a header; else nothing. */
  private static Optional<byte[]> formErr(byte[] bytes) {
    if (bytes.length < Header.LENGTH) {
      return Optional.empty();
    }
    try {
      Header h = new Header(java.util.Arrays.copyOf(bytes, Header.LENGTH));
      if (h.getFlag(Flags.QR)) {
        return Optional.empty();
      }
      Message m = new Message(h.getID());
      m.getHeader().setFlag(Flags.QR);
      m.getHeader().setRcode(Rcode.FORMERR);
      return Optional.of(m.toWire());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private Message count(Message m, String source) {
    int rcode = m.getHeader().getRcode() & 0x0f;
    int s = source.equals("cluster") ? 0 : 1;
    Counter c = queries[rcode][s];
    if (c == null) { // only the event loop counts: no race
      c = Counter.builder("capstan_dns_queries").description("DNS queries answered, by response code and by who answered")
          .tag("rcode", Rcode.string(rcode)).tag("source", source).register(registry);
      queries[rcode][s] = c;
    }
    c.increment();
    return m;
  }

  @Override
  public void close() {
    if (udp != null) {
      udp.close();
    }
    if (tcp != null) {
      tcp.close();
    }
  }
}
