package io.capstan.logschema.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ConfigMap;
import io.capstan.api.ObjectMeta;
import io.capstan.log.Command;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.topics.ObjectPartitioner;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.testing.KafkaFixture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The command client against the real broker, answered by {@link FakeReplier} (a test double of
 * the processor's reply path). Lives in state-views because the broker fixture does.
 */
class CommandClientKafkaTest {
  private static final int PARTITIONS = 3;

  private TopicLayout layout;
  private FakeReplier replier;
  private SimpleMeterRegistry registry;
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @BeforeEach
  void setUp() {
    layout = KafkaFixture.freshLayout(PARTITIONS);
    replier = new FakeReplier(KafkaFixture.clientConfig(), layout);
    registry = new SimpleMeterRegistry();
  }

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
    replier.close();
  }

  private CommandClient client(Duration perAttempt, int attempts) {
    CommandClientConfig cfg = CommandClientConfig.defaults(KafkaFixture.clientConfig(), layout, "test")
        .withTimeout(perAttempt, attempts);
    CommandClient c = new CommandClient(cfg, registry);
    toClose.add(c);
    return c;
  }

  static ConfigMap configMap(String name, String value) {
    return ConfigMap.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("team-a").setName(name).build())
        .setData(Map.of("value", value))
        .build();
  }

  private double count(String result) {
    var c = registry.find(ClientMetrics.COMMANDS).tag("result", result).counters();
    return c.stream().mapToDouble(x -> x.count()).sum();
  }

  @Test
  void roundTripFillsTheEnvelopeAndReturnsTheReply() throws Exception {
    CommandClient client = client(Duration.ofSeconds(10), 1);
    ConfigMap cm = configMap("settings", "1");

    CommandResult created = client.create(cm).get(30, TimeUnit.SECONDS);
    CommandResult.Accepted a = assertInstanceOf(CommandResult.Accepted.class, created);
    assertEquals(cm, a.objectAs(ConfigMap.class));
    assertTrue(a.resourceVersion() > 0);
    int expectedPartition = ObjectPartitioner.partition("ConfigMap/team-a/settings", PARTITIONS);
    assertEquals(expectedPartition, a.partition());
    assertEquals(expectedPartition, client.partitionOf("ConfigMap/team-a/settings"));

    Command sent = replier.received.get(0);
    assertEquals(client.config().clientId(), sent.getClientId());
    assertEquals("system:capstan:test", sent.getActor());
    assertFalse(sent.getRequestId().isEmpty());
    assertTrue(sent.getSentAtMicros() > 0);

    CommandResult.Accepted updated = assertInstanceOf(CommandResult.Accepted.class,
        client.update(configMap("settings", "2")).get(30, TimeUnit.SECONDS));
    assertTrue(updated.resourceVersion() > a.resourceVersion(), "rv grows per partition");

    CommandResult.Accepted deleted = assertInstanceOf(CommandResult.Accepted.class,
        client.delete(Kinds.CONFIG_MAP, "team-a", "settings", null).get(30, TimeUnit.SECONDS));
    assertTrue(deleted.deleted());
    assertNull(deleted.object());

    assertInstanceOf(CommandResult.Accepted.class, client.bind("team-a", "web-1", "node-1").get(30, TimeUnit.SECONDS));
    assertEquals("node-1", replier.received.get(3).getNodeName());

    assertEquals(4.0, count("accepted"));
    assertEquals(0.0, registry.get(ClientMetrics.RETRIES).counter().count());
    assertEquals(4L, registry.get(ClientMetrics.LATENCY).timers().stream().mapToLong(t -> t.count()).sum());
  }

  @Test
  void clientsOfOneProcessShareAChannelAndCloseIndependently() throws Exception {
    CommandClient gateway = client(Duration.ofSeconds(10), 1);
    CommandClientConfig other = new CommandClientConfig(KafkaFixture.clientConfig(), layout, "scheduler-1",
        "system:capstan:scheduler", Duration.ofSeconds(10), 1);
    CommandClient scheduler = new CommandClient(other, registry);
    toClose.add(scheduler);
    long replyLoops = Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith("capstan-command-replies-" + gateway.config().clientId())).count();
    assertEquals(1, replyLoops, "one reply loop for both clients");
    assertTrue(Thread.getAllStackTraces().keySet().stream()
        .noneMatch(t -> t.getName().startsWith("capstan-command-replies-scheduler-1")), "the second client opened nothing");

    CommandClient loadGenerator = CommandClient.unshared(new CommandClientConfig(KafkaFixture.clientConfig(), layout,
        "bench-1", "system:capstan:bench", Duration.ofSeconds(10), 1), registry);
    toClose.add(loadGenerator);
    assertTrue(Thread.getAllStackTraces().keySet().stream()
        .anyMatch(t -> t.getName().equals("capstan-command-replies-bench-1")), "an unshared client has its own channel");
    assertInstanceOf(CommandResult.Accepted.class, loadGenerator.create(configMap("own-1", "1")).get(30, TimeUnit.SECONDS));
    assertEquals("bench-1", replier.received.get(0).getClientId());
    replier.received.clear();
    assertInstanceOf(CommandResult.Accepted.class, scheduler.create(configMap("shared-1", "1")).get(30, TimeUnit.SECONDS));
    Command sent = replier.received.get(0);
    assertEquals(gateway.config().clientId(), sent.getClientId(), "replies come back to the channel");
    assertEquals("system:capstan:scheduler", sent.getActor(), "the actor stays the client's own");

    // A command the replier never answers stays pending on the gateway's client; closing the
    // scheduler's client must not touch it, closing the gateway's fails only its own.
    CompletableFuture<CommandResult> unanswered = gateway.create(configMap("silent-shared", "1"));
    scheduler.close();
    assertFalse(unanswered.isDone());
    assertEquals(1, gateway.inFlight());
    assertInstanceOf(CommandResult.Accepted.class, gateway.create(configMap("shared-2", "1")).get(30, TimeUnit.SECONDS));
    CompletableFuture<CommandResult> refused = scheduler.create(configMap("shared-3", "1"));
    assertThrows(CompletionException.class, refused::join, "a closed client sends nothing");
    gateway.close();
    CompletionException e = assertThrows(CompletionException.class, unanswered::join);
    assertInstanceOf(CommandSendException.class, e.getCause());
    assertEquals(0, gateway.inFlight());
    long left = Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith("capstan-command-replies-" + gateway.config().clientId()) && t.isAlive()).count();
    assertEquals(0, left, "the last client to leave closes the channel");
  }

  @Test
  void rejectionCarriesTheStatus() throws Exception {
    CommandClient client = client(Duration.ofSeconds(10), 1);
    CommandResult r = client.update(configMap("conflict-a", "1")).get(30, TimeUnit.SECONDS);
    CommandResult.Rejected rej = assertInstanceOf(CommandResult.Rejected.class, r);
    assertEquals(409, rej.status().getCode());
    assertEquals("Conflict", rej.status().getReason());
    assertEquals(1.0, count("rejected"));
  }

  @Test
  void aDroppedReplyIsRecoveredByRetryingTheSameRequestId() throws Exception {
    CommandClient client = client(Duration.ofSeconds(2), 5);
    CommandResult.Accepted a = assertInstanceOf(CommandResult.Accepted.class,
        client.create(configMap("drop-first-a", "1")).get(30, TimeUnit.SECONDS));

    List<Command> got = List.copyOf(replier.received);
    assertTrue(got.size() >= 2, "the first reply was lost, so the command went out again: " + got);
    for (Command c : got) {
      assertEquals(got.get(0), c, "a retry is the very same command, request id included");
    }
    assertTrue(a.resourceVersion() > 0);
    assertEquals(got.size() - 1.0, registry.get(ClientMetrics.RETRIES).counter().count());
    assertEquals(0, client.inFlight());
  }

  @Test
  void noReplyAfterAllAttemptsFailsWithTheKeyAndRequestId() throws Exception {
    CommandClient client = client(Duration.ofMillis(300), 2);
    CompletableFuture<CommandResult> f = client.create(configMap("silent-a", "1"));
    CompletionException e = assertThrows(CompletionException.class, f::join);
    CommandTimeoutException t = assertInstanceOf(CommandTimeoutException.class, e.getCause());
    assertEquals("ConfigMap/team-a/silent-a", t.key());
    String requestId = t.requestId();
    assertTrue(t.getMessage().contains("ConfigMap/team-a/silent-a") && t.getMessage().contains(requestId), t.getMessage());
    assertEquals(2, t.attempts());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (replier.timesSeen(requestId) < 2 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(2, replier.timesSeen(requestId), "both attempts carried the request id the error names");
    assertEquals(1.0, count("timeout"));
    assertEquals(0, client.inFlight());
  }

  @Test
  void manyCommandsInFlightAllGetTheirOwnReply() throws Exception {
    CommandClient client = client(Duration.ofSeconds(20), 2);
    int n = 3000;
    List<CompletableFuture<CommandResult>> futures = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      futures.add(client.create(configMap("cm-" + i, Integer.toString(i))));
    }
    CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    Set<String> names = new HashSet<>();
    for (int i = 0; i < n; i++) {
      CommandResult.Accepted a = assertInstanceOf(CommandResult.Accepted.class, futures.get(i).get());
      ConfigMap cm = a.objectAs(ConfigMap.class);
      assertEquals("cm-" + i, cm.getMetadata().getName(), "reply matched to its own request");
      names.add(cm.getMetadata().getName());
    }
    assertEquals(n, names.size());
    assertEquals(0, client.inFlight());
    assertEquals(0.0, registry.get(ClientMetrics.RETRIES).counter().count());
  }

  @Test
  void clientsSharingARepliesPartitionOnlyTakeTheirOwnReplies() throws Exception {
    // Two client ids that hash to the same replies partition.
    String first = "shared-0";
    String second = null;
    for (int i = 1; second == null; i++) {
      if (ObjectPartitioner.partition("shared-" + i, PARTITIONS) == ObjectPartitioner.partition(first, PARTITIONS)) {
        second = "shared-" + i;
      }
    }
    CommandClientConfig base = CommandClientConfig.defaults(KafkaFixture.clientConfig(), layout, "test");
    // Channels of their own: clients of one process would share one and never meet this case.
    CommandClient a = CommandClient.unshared(base.withClientId(first), registry);
    toClose.add(a);
    CommandClient b = CommandClient.unshared(base.withClientId(second), registry);
    toClose.add(b);
    List<CompletableFuture<CommandResult>> fa = new ArrayList<>();
    List<CompletableFuture<CommandResult>> fb = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      fa.add(a.create(configMap("a-" + i, "a")));
      fb.add(b.create(configMap("b-" + i, "b")));
    }
    for (int i = 0; i < 50; i++) {
      assertEquals("a-" + i, ((CommandResult.Accepted) fa.get(i).get(30, TimeUnit.SECONDS))
          .objectAs(ConfigMap.class).getMetadata().getName());
      assertEquals("b-" + i, ((CommandResult.Accepted) fb.get(i).get(30, TimeUnit.SECONDS))
          .objectAs(ConfigMap.class).getMetadata().getName());
    }
  }

  @Test
  void repliesFromBeforeStartupAreNotRead() throws Exception {
    CommandClient first = client(Duration.ofSeconds(10), 1);
    first.create(configMap("before", "1")).get(30, TimeUnit.SECONDS);
    // Same client id again, as after a restart: it must start at the end, not replay old replies.
    CommandClient again = new CommandClient(first.config(), new SimpleMeterRegistry());
    toClose.add(again);
    Command repeat = replier.received.get(0);
    // The same request id is answered with the original reply, which this client reads as new.
    CommandResult r = again.send(repeat).get(30, TimeUnit.SECONDS);
    assertInstanceOf(CommandResult.Accepted.class, r);
    assertEquals(0, again.inFlight());
  }

  @Test
  void closingFailsWhatIsPendingAndRefusesNewCommands() throws Exception {
    CommandClient client = client(Duration.ofSeconds(30), 1);
    CompletableFuture<CommandResult> f = client.create(configMap("silent-b", "1"));
    client.close();
    CompletionException e = assertThrows(CompletionException.class, f::join);
    assertInstanceOf(CommandSendException.class, e.getCause());
    assertTrue(e.getCause().getMessage().contains("ConfigMap/team-a/silent-b"), e.getCause().getMessage());
    CompletableFuture<CommandResult> after = client.create(configMap("late", "1"));
    assertTrue(after.isCompletedExceptionally());
  }

  @Test
  void aMissingTopicIsNamed() {
    TopicLayout none = new TopicLayout("nothing-here.");
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> new CommandClient(CommandClientConfig.defaults(KafkaFixture.clientConfig(), none, "x"), registry));
    assertTrue(e.getMessage().contains("nothing-here.commands"), e.getMessage());
  }

  @Test
  void requestIdsAreUniquePerCommand() throws Exception {
    CommandClient client = client(Duration.ofSeconds(10), 1);
    client.create(configMap("u1", "1")).get(30, TimeUnit.SECONDS);
    client.create(configMap("u2", "1")).get(30, TimeUnit.SECONDS);
    assertNotEquals(replier.received.get(0).getRequestId(), replier.received.get(1).getRequestId());
  }
}
