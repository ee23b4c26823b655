package io.capstan.stateviews.processor;

import static io.capstan.stateviews.processor.ProcessorHarness.CODEC;
import static io.capstan.stateviews.processor.ProcessorHarness.configMap;
import static io.capstan.stateviews.processor.ProcessorHarness.namespace;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ConfigMap;
import io.capstan.log.Command;
import io.capstan.log.CommandOp;
import io.capstan.log.Event;
import io.capstan.log.EventOp;
import io.capstan.log.Reply;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.kinds.ObjectKey;
import io.capstan.logschema.topics.ObjectPartitioner;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.testing.KafkaFixture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.File;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.generic.IndexedRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kills a processor (a child JVM, SIGKILL) in the middle of a stream of creates, starts another
 * on the same state directory, and checks that every command took effect exactly once: one
 * committed reply and one event per request, the state table matching the events, and
 * resourceVersions still growing on every partition.
 */
class ProcessorCrashTest {
  private static final Logger log = LoggerFactory.getLogger(ProcessorCrashTest.class);
  private static final int PARTITIONS = 3;
  private static final int CREATES = 3000;
  /** Kill when this many replies are visible: well inside the stream. */
  private static final int KILL_AFTER_REPLIES = 600;
  private final String clientId = "crash-" + UUID.randomUUID();

  @Test
  void aKilledProcessorLosesAndDuplicatesNothing() throws Exception {
    TopicLayout layout = KafkaFixture.freshLayout(PARTITIONS);
    Path stateDir = KafkaFixture.tempDir("proc-crash");
    // Static membership and the same state dir (so the same transactional id): the successor
    // takes over at once and fences the dead processor's open transaction.
    Map<String, Object> failover = Map.of("group.instance.id", "crash-test-processor");

    Process child = startChild(layout, stateDir, failover);
    Set<String> requests = new HashSet<>();
    try (KafkaProducer<String, byte[]> producer = KafkaLogs.producer()) {
      Command ns = create(namespace("load"));
      requests.add(ns.getRequestId());
      send(producer, layout, ns);
      // The namespace may live on another partition: probe until its table reached every task.
      awaitAccepted(producer, layout, requests);

      List<Command> creates = new ArrayList<>();
      for (int i = 0; i < CREATES; i++) {
        creates.add(create(configMap("load", String.format("cm-%04d", i), Map.of("i", Integer.toString(i)))));
      }
      AtomicInteger sent = new AtomicInteger();
      Thread sender = new Thread(() -> {
        for (Command c : creates) {
          send(producer, layout, c);
          if (sent.incrementAndGet() % 100 == 0) {
            pause(20); // ~5,000 commands/s: the kill lands in the middle
          }
        }
        producer.flush();
      }, "crash-test-sender");
      sender.start();

      int seen = awaitReplies(layout, KILL_AFTER_REPLIES, Duration.ofSeconds(30));
      child.destroyForcibly().waitFor();
      int sentAtKill = sent.get();
      log.info("killed the processor after {} committed replies, {} creates sent", seen, sentAtKill);
      assertTrue(seen < requests.size() + CREATES, "the kill must land before the last reply");

      sender.join();
      creates.forEach(c -> requests.add(c.getRequestId()));
      ProcessorConfig cfg = ProcessorConfig.defaults(withFailover(failover), layout, stateDir);
      try (CommandProcessor successor = new CommandProcessor(cfg, new SimpleMeterRegistry())) {
        successor.start();
        successor.awaitRunning(Duration.ofSeconds(60));

        List<Reply> replies = KafkaLogs.read(layout.replies(), true,
                r -> r.size() >= requests.size(), Duration.ofSeconds(40))
            .stream().filter(r -> clientId.equals(r.key())).map(r -> CODEC.decode(r.value(), Reply.class)).toList();
        List<ConsumerRecord<String, byte[]>> uncommitted = KafkaLogs.readToEnd(layout.replies(), false);
        log.info("{} committed replies; {} reply records in the log including aborted transactions", replies.size(),
            uncommitted.size());

        // One committed reply per request, all accepted.
        Map<String, Integer> perRequest = new HashMap<>();
        for (Reply r : replies) {
          if (rejectedProbes.contains(r.getRequestId())) {
            continue;
          }
          perRequest.merge(r.getRequestId(), 1, Integer::sum);
          assertTrue(r.getAccepted(), () -> "rejected: " + r.getStatus());
        }
        assertEquals(requests, perRequest.keySet(), "a reply for every request");
        assertTrue(perRequest.values().stream().allMatch(n -> n == 1), "no request answered twice");

        // One committed event per request, and resourceVersions growing on every partition.
        List<ConsumerRecord<String, byte[]>> eventRecords = KafkaLogs.readToEnd(layout.events(), true);
        Map<String, Integer> eventsPerRequest = new HashMap<>();
        Map<String, Event> createdByKey = new HashMap<>();
        long[] lastRv = new long[PARTITIONS];
        for (ConsumerRecord<String, byte[]> r : eventRecords) {
          Event e = CODEC.decode(r.value(), Event.class);
          eventsPerRequest.merge(e.getRequestId(), 1, Integer::sum);
          assertEquals(EventOp.CREATED, e.getOp());
          assertTrue(e.getResourceVersion() > lastRv[r.partition()],
              "rv grows on partition " + r.partition() + " across the crash");
          lastRv[r.partition()] = e.getResourceVersion();
          if (e.getKind().equals("ConfigMap")) {
            createdByKey.put(r.key(), e);
          }
        }
        assertEquals(requests, eventsPerRequest.keySet(), "an event for every request");
        assertTrue(eventsPerRequest.values().stream().allMatch(n -> n == 1), "no event twice");

        // The state table holds exactly the objects the events say, at their resourceVersions.
        Map<String, ConfigMap> state = new HashMap<>();
        for (ConsumerRecord<String, byte[]> r : KafkaLogs.readToEnd(layout.state(Kinds.CONFIG_MAP), true)) {
          if (!ObjectPartitioner.isWatermarkKey(r.key())) {
            state.put(r.key(), CODEC.decode(r.value(), ConfigMap.class));
            assertEquals(ObjectPartitioner.partition(r.key(), PARTITIONS), r.partition());
          }
        }
        assertEquals(createdByKey.keySet(), state.keySet());
        for (var e : createdByKey.entrySet()) {
          assertEquals(Long.toString(e.getValue().getResourceVersion()),
              state.get(e.getKey()).getMetadata().getResourceVersion(), e.getKey());
        }
      }
    } finally {
      if (child.isAlive()) {
        child.destroyForcibly().waitFor();
      }
    }
  }

  // ---- the child JVM ----

  private Process startChild(TopicLayout layout, Path stateDir, Map<String, Object> extra) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx384m", "-XX:+UseSerialGC",
        "-cp", System.getProperty("java.class.path"),
        ProcessorChild.class.getName(), KafkaFixture.bootstrap(), layout.prefix(), stateDir.toString()));
    extra.forEach((k, v) -> cmd.add(k + "=" + v));
    File out = KafkaFixture.tempDir("proc-child").resolve("child.log").toFile();
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out).start();
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      if (out.exists() && Files.readString(out.toPath(), StandardCharsets.UTF_8).contains(ProcessorChild.RUNNING)) {
        log.info("child processor running (pid {}), log in {}", p.pid(), out);
        return p;
      }
      if (!p.isAlive()) {
        throw new AssertionError("the child processor exited with " + p.exitValue() + ":\n" + Files.readString(out.toPath()));
      }
      Thread.sleep(50);
    }
    p.destroyForcibly();
    throw new AssertionError("the child processor did not start in 60 s:\n" + Files.readString(out.toPath()));
  }

  private static Map<String, Object> withFailover(Map<String, Object> extra) {
    Map<String, Object> kafka = new HashMap<>(KafkaFixture.clientConfig());
    kafka.putAll(extra);
    return kafka;
  }

  // ---- commands ----

  private int probes;
  /** Probes answered 404 while the namespace table was still on its way: not part of the load. */
  private final Set<String> rejectedProbes = new HashSet<>();

  /** Sends creates of probe ConfigMaps until one is accepted (each a new request, remembered). */
  private void awaitAccepted(KafkaProducer<String, byte[]> producer, TopicLayout layout, Set<String> requests) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      Command probe = create(configMap("load", "probe-" + probes, Map.of()));
      probes++;
      requests.add(probe.getRequestId());
      send(producer, layout, probe);
      Reply r = KafkaLogs.read(layout.replies(), true, recs -> recs.stream().anyMatch(x -> isReplyTo(x, probe)),
              Duration.ofSeconds(10)).stream().filter(x -> isReplyTo(x, probe))
          .map(x -> CODEC.decode(x.value(), Reply.class)).findFirst().orElseThrow();
      if (r.getAccepted()) {
        return;
      }
      requests.remove(probe.getRequestId());
      rejectedProbes.add(probe.getRequestId());
      pause(100);
    }
    throw new AssertionError("namespace never became visible to the ConfigMap's partition");
  }

  private int awaitReplies(TopicLayout layout, int count, Duration timeout) {
    return (int) KafkaLogs.read(layout.replies(), true, r -> r.size() >= count, timeout).stream()
        .filter(r -> clientId.equals(r.key())).count();
  }

  private boolean isReplyTo(ConsumerRecord<String, byte[]> r, Command cmd) {
    return clientId.equals(r.key()) && CODEC.decode(r.value(), Reply.class).getRequestId().equals(cmd.getRequestId());
  }

  private static void send(KafkaProducer<String, byte[]> producer, TopicLayout layout, Command cmd) {
    String key = new ObjectKey(cmd.getKind(), cmd.getNamespace(), cmd.getName()).toString();
    producer.send(new ProducerRecord<>(layout.commands(), key, CODEC.encode(cmd)));
  }

  private Command create(IndexedRecord object) {
    Kind kind = Kinds.bySchema(object.getSchema()).orElseThrow();
    var meta = io.capstan.stateviews.processor.rules.ObjectFields.meta(object);
    return Command.newBuilder().setRequestId(UUID.randomUUID().toString()).setClientId(clientId)
        .setOp(CommandOp.CREATE).setKind(kind.kind()).setNamespace(meta.getNamespace() == null ? "" : meta.getNamespace())
        .setName(meta.getName()).setActor("crash-test").setSentAtMicros(System.currentTimeMillis() * 1000)
        .setObject(ByteBuffer.wrap(CODEC.encode(object))).build();
  }

  private static void pause(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
