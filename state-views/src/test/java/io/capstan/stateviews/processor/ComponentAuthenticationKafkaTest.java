package io.capstan.stateviews.processor;

import static io.capstan.stateviews.processor.ComponentAuthorizationKafkaTest.accepted;
import static io.capstan.stateviews.processor.ComponentAuthorizationKafkaTest.awaitAccepted;
import static io.capstan.stateviews.processor.ComponentAuthorizationKafkaTest.events;
import static io.capstan.stateviews.processor.ComponentAuthorizationKafkaTest.namespace;
import static io.capstan.stateviews.processor.ComponentAuthorizationKafkaTest.rejected;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;


import io.capstan.api.ConfigMap;
import io.capstan.api.ObjectMeta;
import io.capstan.log.Command;
import io.capstan.log.ErrorStatus;
import io.capstan.log.Reply;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.client.Commands;
import io.capstan.logschema.session.ComponentCredentials;
import io.capstan.logschema.session.ComponentSessions;
import io.capstan.logschema.session.SessionProtocol;
import io.capstan.logschema.topics.ObjectPartitioner;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.processor.authn.CommandAuthentication;
import io.capstan.stateviews.processor.authn.TestCa;
import io.capstan.stateviews.processor.authn.TicketKeys;
import io.capstan.stateviews.testing.KafkaFixture;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Components' authentication on the real broker (docs/identity.md section 2): command clients open
 * their sessions with certificates of the cluster CA and write; a command without headers, with a
 * forged MAC, with a ticket that does not open, with an expired ticket or with another identity's
 * ticket (its MAC correct under that ticket's key) is refused with 401 and nothing is stored; a
 * replayed or stale session request and a certificate of another CA get no ticket.
 */
class ComponentAuthenticationKafkaTest {
  private static final int PARTITIONS = 3;
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String ADMIN = "system:capstan:authn-it";
  private static final String GATEWAY = "system:capstan:gateway";
  private static final SecureRandom RANDOM = new SecureRandom();

  @AfterEach
  void clearSessions() {
    ComponentSessions.clear();
  }

  @Test
  void onlyCommandsWithAValidTicketAndMacOfTheirActorAreApplied() throws Exception {
    TopicLayout layout = KafkaFixture.freshLayout(PARTITIONS);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Map<String, Object> kafka = KafkaFixture.clientConfig();
    TestCa ca = new TestCa();
    CommandAuthentication auth = new CommandAuthentication(ca.certificate(), TicketKeys.generate("t-1"));
    Map<String, ComponentCredentials> creds = Map.of(
        ADMIN, ca.issue(ADMIN, List.of()),
        GATEWAY, ca.issue(GATEWAY, List.of(SessionProtocol.ASSERTING_GROUP)),
        "system:node:n1", ca.issue("system:node:n1", List.of("system:nodes")));
    ComponentSessions.install(id -> Optional.ofNullable(creds.get(id)));
    ProcessorConfig pc = ProcessorConfig.defaults(kafka, layout, KafkaFixture.tempDir("authn-it"))
        .withAuthentication(auth);
    try (CommandProcessor processor = new CommandProcessor(pc, registry);
        CommandClient admin = new CommandClient(CommandClientConfig.defaults(kafka, layout, "authn-it"), registry);
        CommandClient gateway = new CommandClient(CommandClientConfig.defaults(kafka, layout, "gateway"), registry);
        CommandClient stranger = new CommandClient(CommandClientConfig.defaults(kafka, layout, "stranger"), registry);
        KafkaProducer<String, byte[]> raw = KafkaLogs.producer()) {
      processor.start();
      processor.awaitRunning(WAIT);

      // A component with a certificate opens its session with its first command, and writes.
      accepted(admin.create(namespace("authn")));
      // The gateway's identity may send commands as the users it authenticated.
      Command asAlice = Commands.create(configMap("alice-cm"));
      asAlice.setActor("alice");
      awaitAccepted(() -> gateway.send(asAlice));
      assertEquals("alice", events(layout, "ConfigMap/authn/alice-cm").get(0).getActor());

      // No credentials in this process for its identity: the command goes without headers and is refused.
      ErrorStatus plain = rejected(stranger.create(configMap("plain")));
      assertEquals(401, plain.getCode());
      assertEquals("Unauthorized", plain.getReason());
      assertTrue(plain.getMessage().contains("no session ticket"), plain.getMessage());

      // Hand-made records: a session of system:node:n1 whose key the test knows.
      byte[] sessionKey = new byte[32];
      RANDOM.nextBytes(sessionKey);
      long inAnHour = System.currentTimeMillis() + 3_600_000L;
      byte[] nodeTicket = auth.ticketFor("system:node:n1", List.of("system:nodes"), sessionKey, inAnHour);
      String client = "raw-" + UUID.randomUUID().toString().substring(0, 8);

      // The same ticket and a correct MAC, as the node itself: accepted (the hand-made record is well made).
      String ok = send(raw, layout, client, configMap("node-made"), "system:node:n1", nodeTicket,
          sessionKey, false);
      // A forged MAC.
      String forged = send(raw, layout, client, configMap("forged-mac"), "system:node:n1", nodeTicket,
          new byte[32], false);
      // Another identity's ticket, the MAC correct under that ticket's key, claiming to be the scheduler.
      String other = send(raw, layout, client, configMap("other-identity"), "system:kube-scheduler", nodeTicket,
          sessionKey, false);
      // An expired ticket with a correct MAC.
      byte[] expired = auth.ticketFor("system:node:n1", List.of("system:nodes"), sessionKey,
          System.currentTimeMillis() - 1000);
      String late = send(raw, layout, client, configMap("expired"), "system:node:n1", expired,
          sessionKey, false);
      // A ticket not sealed by this cluster's key.
      byte[] foreign = new CommandAuthentication(ca.certificate(), TicketKeys.generate("t-1"))
          .ticketFor("system:node:n1", List.of("system:nodes"), sessionKey, inAnHour);
      String notOpening = send(raw, layout, client, configMap("foreign-ticket"), "system:node:n1", foreign,
          sessionKey, false);
      // No headers at all.
      String bare = send(raw, layout, client, configMap("bare"), "system:node:n1", null, null, true);

      Map<String, Reply> replies = replies(layout, client, 6);
      // The node may not create ConfigMaps (RBAC, 403): authenticated, then authorized.
      assertEquals(403, replies.get(ok).getStatus().getCode(), String.valueOf(replies.get(ok).getStatus()));
      assertUnauthorized(replies.get(forged), "MAC does not match");
      assertUnauthorized(replies.get(other), "cannot send commands as \"system:kube-scheduler\"");
      assertUnauthorized(replies.get(late), "expired");
      assertUnauthorized(replies.get(notOpening), "does not open");
      assertUnauthorized(replies.get(bare), "no session ticket");

      // Nothing was stored for any of them: the admin can create each name now.
      for (String name : List.of("plain", "forged-mac", "other-identity", "expired", "foreign-ticket", "bare")) {
        awaitAccepted(() -> admin.create(configMap(name)));
      }
      String scrape = registry.scrape();
      assertTrue(scrape.lines().anyMatch(l -> l.startsWith("capstan_processor_commands_total")
          && l.contains("result=\"Unauthorized\"")), scrape);

      // Quota admission's own steps (the charge at the quota's key, the charged create coming back)
      // carry the processor's MAC: a charged pod is applied, and the next one exceeds the quota.
      accepted(admin.create(namespace("quota")));
      awaitAccepted(() -> admin.create(io.capstan.api.ResourceQuota.newBuilder()
          .setMetadata(ObjectMeta.newBuilder().setNamespace("quota").setName("count").build())
          .setSpec(io.capstan.api.ResourceQuotaSpec.newBuilder().setHard(Map.of("pods", "1")).build()).build()));
      long quotaDeadline = System.nanoTime() + WAIT.toNanos();
      int charged = 0;
      for (int i = 0; ; i++) {
        io.capstan.logschema.client.CommandResult r = admin.create(pod("p-" + i)).get(90, TimeUnit.SECONDS);
        if (r instanceof io.capstan.logschema.client.CommandResult.Accepted) {
          charged++;
          continue;
        }
        ErrorStatus s = ((io.capstan.logschema.client.CommandResult.Rejected) r).status();
        assertTrue(s.getCode() != 401, s.getMessage());
        if (s.getCode() == 403 && s.getMessage().contains("exceeded quota: count")) {
          break;
        }
        assertTrue(System.nanoTime() < quotaDeadline, "the quota never refused a pod: " + s.getMessage());
        Thread.sleep(50);
      }
      assertTrue(charged >= 1, "a pod was admitted and charged before the quota was full");

      // Session requests: a fresh one gets a ticket, the same one again is a replay; a stale one and
      // one from another CA's certificate get none.
      ComponentCredentials node = creds.get("system:node:n1");
      String sessionClient = "sessions-" + UUID.randomUUID().toString().substring(0, 8);
      byte[] request = SessionProtocol.encodeRequest(node, "req-1", sessionClient, System.currentTimeMillis(),
          SessionProtocol.newShare().getPublic());
      sessionRequest(raw, layout, request);
      sessionRequest(raw, layout, request);
      sessionRequest(raw, layout, SessionProtocol.encodeRequest(node, "req-2", sessionClient,
          System.currentTimeMillis() - 10 * 60_000L, SessionProtocol.newShare().getPublic()));
      sessionRequest(raw, layout, SessionProtocol.encodeRequest(new TestCa().issue("system:node:n1",
          List.of("system:nodes")), "req-3", sessionClient, System.currentTimeMillis(),
          SessionProtocol.newShare().getPublic()));
      List<ConsumerRecord<String, byte[]>> answers = KafkaLogs.read(layout.replies(), true,
          r -> r.stream().filter(x -> x.key().equals(sessionClient)).count() >= 4, WAIT).stream()
          .filter(x -> x.key().equals(sessionClient)).toList();
      assertEquals(4, answers.size());
      Reply first = decodeReply(answers.get(0));
      assertTrue(first.getAccepted(), String.valueOf(first.getStatus()));
      assertNotNull(answers.get(0).headers().lastHeader(SessionProtocol.TICKET_HEADER));
      assertUnauthorized(decodeReply(answers.get(1)), "a replay");
      assertEquals(null, answers.get(1).headers().lastHeader(SessionProtocol.TICKET_HEADER));
      assertUnauthorized(decodeReply(answers.get(2)), "more than 5 minutes");
      assertUnauthorized(decodeReply(answers.get(3)), "does not chain to the cluster CA");
    }
  }

  /**
   * A client renews its session before the ticket's notAfter: with tickets that live 6 s, commands
   * sent over 10 s are all accepted (without renewal those after 6 s would be refused as expired).
   */
  @Test
  void aClientRenewsItsSessionBeforeTheTicketExpires() throws Exception {
    TopicLayout layout = KafkaFixture.freshLayout(1);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Map<String, Object> kafka = KafkaFixture.clientConfig();
    TestCa ca = new TestCa();
    CommandAuthentication auth = new CommandAuthentication(ca.certificate(), TicketKeys.generate("t-1"))
        .withTicketLifetime(Duration.ofSeconds(6));
    ComponentCredentials admin = ca.issue(ADMIN, List.of());
    ComponentSessions.install(id -> id.equals(ADMIN) ? Optional.of(admin) : Optional.empty());
    ProcessorConfig pc = ProcessorConfig.defaults(kafka, layout, KafkaFixture.tempDir("authn-renew"))
        .withAuthentication(auth);
    try (CommandProcessor processor = new CommandProcessor(pc, registry);
        CommandClient client = new CommandClient(CommandClientConfig.defaults(kafka, layout, "authn-it"), registry)) {
      processor.start();
      processor.awaitRunning(WAIT);
      accepted(client.create(namespace("authn")));
      long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      int n = 0;
      while (System.nanoTime() < end) {
        accepted(client.create(configMap("renewed-" + n++)));
        Thread.sleep(250);
      }
      assertTrue(n > 8, "sent " + n);
      assertTrue(registry.scrape().lines().noneMatch(l -> l.startsWith("capstan_processor_commands_total")
          && l.contains("result=\"Unauthorized\"")), "no command was refused");
    }
  }

  private static void assertUnauthorized(Reply reply, String why) {
    assertNotNull(reply, "no reply");
    assertFalse(reply.getAccepted());
    assertEquals(401, reply.getStatus().getCode(), reply.getStatus().getMessage());
    assertEquals("Unauthorized", reply.getStatus().getReason());
    assertTrue(reply.getStatus().getMessage().contains(why), reply.getStatus().getMessage());
  }

  /** Sends a create of {@code cm} as {@code actor}; the MAC is HMAC-SHA256 of the value under {@code macKey}. */
  private static String send(KafkaProducer<String, byte[]> raw, TopicLayout layout, String client, ConfigMap cm,
      String actor, byte[] ticket, byte[] macKey, boolean bare) throws Exception {
    Command c = Commands.create(cm);
    String requestId = UUID.randomUUID().toString();
    c.setRequestId(requestId);
    c.setClientId(client);
    c.setActor(actor);
    c.setSentAtMicros(System.currentTimeMillis() * 1000);
    byte[] value = ProcessorHarness.CODEC.encode(c);
    RecordHeaders h = new RecordHeaders();
    if (!bare) {
      h.add(SessionProtocol.TICKET_HEADER, ticket);
      h.add(SessionProtocol.MAC_HEADER, SessionProtocol.mac(SessionProtocol.newMac(),
          new SecretKeySpec(macKey, "HmacSHA256"), value));
    }
    String key = "ConfigMap/authn/" + cm.getMetadata().getName();
    raw.send(new ProducerRecord<>(layout.commands(), ObjectPartitioner.partition(key, PARTITIONS), key, value, h))
        .get(30, TimeUnit.SECONDS);
    return requestId;
  }

  private static void sessionRequest(KafkaProducer<String, byte[]> raw, TopicLayout layout, byte[] value)
      throws Exception {
    raw.send(new ProducerRecord<>(layout.commands(), ObjectPartitioner.partition(SessionProtocol.SESSION_KEY,
        PARTITIONS), SessionProtocol.SESSION_KEY, value)).get(30, TimeUnit.SECONDS);
  }

  private static Map<String, Reply> replies(TopicLayout layout, String client, int n) {
    return KafkaLogs.read(layout.replies(), true,
            r -> r.stream().filter(x -> x.key().equals(client)).count() >= n, WAIT).stream()
        .filter(x -> x.key().equals(client)).map(ComponentAuthenticationKafkaTest::decodeReply)
        .collect(java.util.stream.Collectors.toMap(Reply::getRequestId, r -> r, (a, b) -> a));
  }

  private static Reply decodeReply(ConsumerRecord<String, byte[]> r) {
    return ProcessorHarness.CODEC.decode(r.value(), Reply.class);
  }

  private static ConfigMap configMap(String name) {
    return ConfigMap.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("authn").setName(name).build())
        .setData(Map.of("k", "v")).build();
  }

  private static io.capstan.api.Pod pod(String name) {
    return io.capstan.api.Pod.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("quota").setName(name).build())
        .setSpec(io.capstan.api.PodSpec.newBuilder().setContainers(List.of(io.capstan.api.Container.newBuilder()
            .setName("app").setImage("busybox").build())).build())
        .build();
  }
}
