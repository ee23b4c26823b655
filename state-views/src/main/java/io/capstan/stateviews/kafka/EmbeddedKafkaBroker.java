package io.capstan.stateviews.kafka;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.UUID;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Apache Kafka broker in KRaft mode (combined broker and controller),
 * run in this JVM from the {@code kafka_2.13} artifact. Storage is formatted on first start
 * and kept across restarts, so a data dir holds the cluster's whole log.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);

  /**
   * The settings of one embedded broker; {@code port} 0 picks a free port. Alone ({@code quorum}
   * null) it is node 1 and its own controller quorum; as one node of a cluster it is node
   * {@code nodeId} among the voters {@code quorum} ({@code id@host:port,…}, its own
   * {@code controllerPort} among them), formatted with the cluster id every node shares, and the
   * internal topics get three replicas with two in sync, as a production cluster has.
   */
  public record Config(Path dataDir, int port, int controllerPort, int nodeId, String quorum, String clusterId) {
    public Config {
      if (quorum != null) {
        if (controllerPort <= 0 || port <= 0) {
          throw new IllegalArgumentException("a quorum member needs fixed ports (was " + port + " and controller "
              + controllerPort + ")");
        }
        if (!quorum.contains(nodeId + "@")) {
          throw new IllegalArgumentException("node " + nodeId + " is not among the quorum's voters " + quorum);
        }
        if (clusterId == null || clusterId.isBlank()) {
          throw new IllegalArgumentException("a quorum member needs the cluster id every node is formatted with");
        }
      }
    }

    public Config(Path dataDir, int port, int controllerPort) {
      this(dataDir, port, controllerPort, 1, null, null);
    }

    public static Config of(Path dataDir, int port) {
      return new Config(dataDir, port, 0);
    }

    /** Node {@code nodeId} of a cluster whose controllers are {@code quorum} ({@code id@host:port,…}). */
    public static Config member(Path dataDir, int port, int controllerPort, int nodeId, String quorum,
        String clusterId) {
      return new Config(dataDir, port, controllerPort, nodeId, quorum, clusterId);
    }

    /** How many voters the quorum has (1 alone). */
    public int voters() {
      return quorum == null ? 1 : quorum.split(",").length;
    }
  }

  /** How long a quorum member waits for the majority it needs (its peers start on a loaded machine too). */
  static final Duration QUORUM_READY_TIMEOUT = Duration.ofMinutes(5);

  private final Config config;
  private final int port;
  private final int controllerPort;
  private KafkaRaftServer server;

  private EmbeddedKafkaBroker(Config config, int port, int controllerPort) {
    this.config = config;
    this.port = port;
    this.controllerPort = controllerPort;
  }

  /** Formats storage if needed, starts the broker and waits until it accepts requests. */
  public static EmbeddedKafkaBroker start(Config config) {
    Path dir = config.dataDir().toAbsolutePath();
    Path ports = dir.resolve("capstan-broker.ports");
    int port = config.port();
    int cport = config.controllerPort();
    try {
      Files.createDirectories(dir);
      // A restarted broker keeps its controller port: the quorum voter address is in the log.
      if (cport == 0 && Files.exists(ports)) {
        String[] p = Files.readString(ports).trim().split(":");
        cport = Integer.parseInt(p[1]);
        if (!isFree(cport)) {
          throw new IllegalStateException("controller port " + cport + " recorded in " + ports
              + " is in use: is another broker running on " + dir + "?");
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("preparing " + dir, e);
    }
    if (port == 0) {
      port = freePort();
    }
    if (cport == 0) {
      cport = freePort();
    }
    EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(config, port, cport);
    broker.startServer();
    try {
      Files.writeString(ports, port + ":" + cport + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return broker;
  }

  private void startServer() {
    Path dir = config.dataDir().toAbsolutePath();
    Path logs = dir.resolve("kafka-logs");
    Properties props = new Properties();
    props.put("process.roles", "broker,controller");
    props.put("node.id", Integer.toString(config.nodeId()));
    props.put("controller.quorum.voters", config.quorum() != null ? config.quorum()
        : "1@127.0.0.1:" + controllerPort);
    props.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
    props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
    props.put("controller.listener.names", "CONTROLLER");
    props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    props.put("inter.broker.listener.name", "PLAINTEXT");
    props.put("log.dirs", logs.toString());
    // One node: every internal topic has one replica; transactions need min ISR 1. A cluster of
    // three or more keeps three replicas of everything and acknowledges a write once two have it.
    String replicas = config.voters() >= 3 ? "3" : "1";
    String minIsr = config.voters() >= 3 ? "2" : "1";
    props.put("offsets.topic.replication.factor", replicas);
    props.put("offsets.topic.num.partitions", "4");
    props.put("transaction.state.log.replication.factor", replicas);
    props.put("transaction.state.log.min.isr", minIsr);
    props.put("transaction.state.log.num.partitions", "4");
    props.put("share.coordinator.state.topic.replication.factor", replicas);
    props.put("share.coordinator.state.topic.min.isr", minIsr);
    props.put("default.replication.factor", replicas);
    props.put("min.insync.replicas", minIsr);
    props.put("group.initial.rebalance.delay.ms", "0");
    props.put("auto.create.topics.enable", "false");
    props.put("num.partitions", "1");
    props.put("log.flush.interval.messages", Long.toString(Long.MAX_VALUE));
    props.put("log.cleaner.dedupe.buffer.size", Integer.toString(8 * 1024 * 1024));
    props.put("log.segment.bytes", Integer.toString(64 * 1024 * 1024));
    // Threads sized for one node serving the clients of one process on a small machine. Kafka's
    // defaults are sized for a broker in a fleet: 3 network and 8 request-handler threads, and a
    // combined node runs the handler pool twice (broker and controller share num.io.threads).
    // Two handlers per pool keep both cores busy under load (a produce or fetch holds a handler
    // only while it appends or reads; waiting fetches park in the purgatory, not on a thread).
    props.put("num.network.threads", "2");
    // The controller listener serves this node's own heartbeats and metadata fetches only.
    props.put("listener.name.controller.num.network.threads", "1");
    props.put("num.io.threads", "2");
    // One node, a handful of clients: the defaults are sized for a fleet of them (10 background
    // threads, 4 group coordinator threads, 2 for its background work), and an idle KRaft
    // controller appends a no-op record to the metadata log every 500 ms, waking the broker's
    // metadata fetch each time. Replica fetchers and alter-log-dirs threads do not exist with one
    // node and one log dir; the log cleaner's default is already one thread.
    props.put("background.threads", "1");
    props.put("group.coordinator.threads", "1");
    props.put("group.coordinator.background.threads", "1");
    props.put("share.coordinator.threads", "1");
    props.put("metadata.max.idle.interval.ms", "5000");
    KafkaConfig kafkaConfig = KafkaConfig.fromProps(props, false);
    format(logs, props, config.clusterId());
    log.info("starting Kafka broker (KRaft, node {} of {}) on 127.0.0.1:{} with data in {}", config.nodeId(),
        config.voters(), port, logs);
    server = new KafkaRaftServer(kafkaConfig, Time.SYSTEM);
    server.startup();
    // A quorum member is ready once a majority of the voters runs: its peers may start later.
    awaitReady(config.quorum() == null ? Duration.ofSeconds(60) : QUORUM_READY_TIMEOUT);
    log.info("Kafka broker ready on 127.0.0.1:{}", port);
  }

  private static void format(Path logs, Properties props, String givenClusterId) {
    if (Files.exists(logs.resolve("meta.properties"))) {
      return;
    }
    try {
      Files.createDirectories(logs);
      Path file = logs.getParent().resolve("server.properties");
      try (var out = Files.newOutputStream(file)) {
        props.store(out, "written by capstan to format storage");
      }
      String clusterId = givenClusterId != null ? givenClusterId : org.apache.kafka.common.Uuid.randomUuid().toString();
      ByteArrayOutputStream buf = new ByteArrayOutputStream();
      int rc = StorageTool.execute(
          new String[] {"format", "-t", clusterId, "-c", file.toString(), "--ignore-formatted"},
          new PrintStream(buf, true, StandardCharsets.UTF_8));
      if (rc != 0) {
        throw new IllegalStateException("formatting Kafka storage in " + logs + " failed: " + buf);
      }
      log.info("formatted Kafka storage in {} (cluster id {})", logs, clusterId);
    } catch (IOException e) {
      throw new UncheckedIOException("formatting " + logs, e);
    }
  }

  private void awaitReady(Duration timeout) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    p.put(AdminClientConfig.CLIENT_ID_CONFIG, "capstan-broker-probe-" + UUID.randomUUID());
    long deadline = System.nanoTime() + timeout.toNanos();
    try (Admin admin = Admin.create(p)) {
      while (true) {
        try {
          if (!admin.describeCluster().nodes().get(5, java.util.concurrent.TimeUnit.SECONDS).isEmpty()) {
            return;
          }
        } catch (Exception e) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("Kafka broker on " + bootstrap() + " not ready after " + timeout, e);
          }
        }
        sleep(100);
      }
    }
  }

  public String bootstrap() {
    return "127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  public Path dataDir() {
    return config.dataDir();
  }

  /** Stops the broker (flushing its log) and waits for it. */
  @Override
  public synchronized void close() {
    if (server != null) {
      log.info("stopping Kafka broker on {}", bootstrap());
      server.shutdown();
      server.awaitShutdown();
      server = null;
    }
  }

  /** Stops and starts the broker on the same ports and data, as a restart would. */
  public synchronized void restart() {
    close();
    startServer();
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port", e);
    }
  }

  private static boolean isFree(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
