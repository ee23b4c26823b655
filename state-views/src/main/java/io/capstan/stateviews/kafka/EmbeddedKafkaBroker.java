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

  /** The settings of one embedded broker; {@code port} 0 picks a free port. */
  public record Config(Path dataDir, int port, int controllerPort) {
    public static Config of(Path dataDir, int port) {
      return new Config(dataDir, port, 0);
    }
  }

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
    props.put("node.id", "1");
    props.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
    props.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
    props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
    props.put("controller.listener.names", "CONTROLLER");
    props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    props.put("inter.broker.listener.name", "PLAINTEXT");
    props.put("log.dirs", logs.toString());
    // One node: every internal topic has one replica; transactions need min ISR 1.
    props.put("offsets.topic.replication.factor", "1");
    props.put("offsets.topic.num.partitions", "4");
    props.put("transaction.state.log.replication.factor", "1");
    props.put("transaction.state.log.min.isr", "1");
    props.put("transaction.state.log.num.partitions", "4");
    props.put("share.coordinator.state.topic.replication.factor", "1");
    props.put("share.coordinator.state.topic.min.isr", "1");
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
    format(logs, props);
    log.info("starting Kafka broker (KRaft, single node) on 127.0.0.1:{} with data in {}", port, logs);
    server = new KafkaRaftServer(kafkaConfig, Time.SYSTEM);
    server.startup();
    awaitReady(Duration.ofSeconds(60));
    log.info("Kafka broker ready on 127.0.0.1:{}", port);
  }

  private static void format(Path logs, Properties props) {
    if (Files.exists(logs.resolve("meta.properties"))) {
      return;
    }
    try {
      Files.createDirectories(logs);
      Path file = logs.getParent().resolve("server.properties");
      try (var out = Files.newOutputStream(file)) {
        props.store(out, "written by capstan to format storage");
      }
      String clusterId = org.apache.kafka.common.Uuid.randomUuid().toString();
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
