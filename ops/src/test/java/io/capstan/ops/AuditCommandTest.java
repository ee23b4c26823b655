package io.capstan.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.capstan.api.ConfigMap;
import io.capstan.api.CustomResourceDefinition;
import io.capstan.api.Namespace;
import io.capstan.api.ObjectMeta;
import io.capstan.log.Command;
import io.capstan.log.Event;
import io.capstan.log.EventOp;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.client.Commands;
import io.capstan.logschema.crd.CustomResourceDefinitions;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.ops.CapstanCommandLineTest.Run;
import io.capstan.stateviews.processor.CommandProcessor;
import io.capstan.stateviews.processor.ProcessorConfig;
import io.capstan.stateviews.testing.KafkaFixture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code capstan audit} on the real broker, over changes made through the real command processor. */
class AuditCommandTest {
  private static TopicLayout layout;
  private static CommandProcessor processor;
  private static Instant afterUpdate;

  @BeforeAll
  static void history() throws Exception {
    layout = KafkaFixture.freshLayout(3);
    Map<String, Object> kafka = KafkaFixture.clientConfig();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    processor = new CommandProcessor(ProcessorConfig.defaults(kafka, layout, KafkaFixture.tempDir("audit")), registry);
    processor.start();
    processor.awaitRunning(Duration.ofSeconds(60));
    try (CommandClient client = new CommandClient(CommandClientConfig.defaults(kafka, layout, "audit-test"), registry)) {
      send(client, "admin", Commands.create(Namespace.newBuilder()
          .setMetadata(ObjectMeta.newBuilder().setName("shop").build()).build()));
      // The namespace reaches the other partitions a commit later: retry the first create.
      for (int i = 0; ; i++) {
        CommandResult r = client.send(as("alice", Commands.create(configMap("v1", null)))).get(30, TimeUnit.SECONDS);
        if (r instanceof CommandResult.Accepted) {
          break;
        }
        assertTrue(i < 50, "the namespace never became visible: " + r);
        Thread.sleep(100);
      }
      CommandResult.Accepted current = (CommandResult.Accepted) client.send(as("bob", Commands.update(
          configMap("v2", null)))).get(30, TimeUnit.SECONDS);
      Thread.sleep(20);
      afterUpdate = Instant.now();
      Thread.sleep(20);
      send(client, "alice", Commands.delete(Kinds.CONFIG_MAP, "shop", "settings", null));
      assertTrue(current.resourceVersion() > 0);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (processor != null) {
      processor.close();
    }
  }

  private static ConfigMap configMap(String value, String rv) {
    return ConfigMap.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("shop").setName("settings").setResourceVersion(rv).build())
        .setData(Map.of("mode", value)).build();
  }

  private static Command as(String actor, Command c) {
    c.setActor(actor);
    return c;
  }

  private static void send(CommandClient client, String actor, Command c) throws Exception {
    assertInstanceOf(CommandResult.Accepted.class, client.send(as(actor, c)).get(30, TimeUnit.SECONDS));
  }

  private static Run audit(String... filters) {
    List<String> args = new ArrayList<>(List.of("audit", "--kafka", KafkaFixture.bootstrap(),
        "--topic-prefix", layout.prefix()));
    args.addAll(List.of(filters));
    return CapstanCommandLineTest.run(args.toArray(String[]::new));
  }

  @Test
  void theTableSaysWhoDidWhatInTimeOrder() {
    Run r = audit("-n", "shop");
    assertEquals(0, r.status(), r.err());
    List<String> lines = r.out().lines().toList();
    assertTrue(lines.get(0).matches("TIME +ACTOR +OP +OBJECT +CHANGED"), lines.get(0));
    assertEquals(3, lines.size() - 2, r.out());
    assertTrue(lines.get(1).matches(".*alice +CREATED +ConfigMap/shop/settings .*"), lines.get(1));
    assertTrue(lines.get(2).matches(".*bob +UPDATED +ConfigMap/shop/settings .*data\\.mode.*"), lines.get(2));
    assertTrue(lines.get(3).matches(".*alice +DELETED +ConfigMap/shop/settings .*"), lines.get(3));
    assertEquals("3 events", lines.get(4));
  }

  @Test
  void filtersCombineAndJsonCarriesTheMergePatch() throws Exception {
    Run r = audit("--kind", "cm", "--name", "settings", "-n", "shop", "--actor", "bob", "-o", "json");
    assertEquals(0, r.status(), r.err());
    List<String> lines = r.out().lines().toList();
    assertEquals(1, lines.size(), r.out());
    JsonNode e = new ObjectMapper().readTree(lines.get(0));
    assertEquals("UPDATED", e.get("op").asText());
    assertEquals("ConfigMap", e.get("kind").asText());
    assertEquals("v2", e.at("/mergePatch/data/mode").asText(), lines.get(0));
    assertTrue(e.get("changedPaths").toString().contains("data.mode"), lines.get(0));

    // A name without a namespace: that name in any namespace (here all three of its events).
    Run anyNamespace = audit("--kind", "ConfigMap", "--name", "settings");
    assertEquals(0, anyNamespace.status(), anyNamespace.err());
    assertTrue(anyNamespace.out().contains("3 events"), anyNamespace.out());

    Run namespaces = audit("--kind", "namespaces", "-o", "json");
    assertEquals(1, namespaces.out().lines().count(), namespaces.out());
    assertTrue(namespaces.out().contains("\"actor\":\"admin\""), namespaces.out());
  }

  @Test
  void sinceAndUntilCutTheTrail() {
    Run after = audit("-n", "shop", "--since", afterUpdate.toString());
    assertTrue(after.out().contains("DELETED") && !after.out().contains("UPDATED"), after.out());
    Run before = audit("-n", "shop", "--until", afterUpdate.toString());
    assertTrue(before.out().contains("2 events"), before.out());
    Run recent = audit("-n", "shop", "--since", "1h");
    assertTrue(recent.out().contains("3 events"), recent.out());
  }

  @Test
  void replayUntilShowsTheStateAsItWasThen() {
    String[] base = {"replay", "--kafka", KafkaFixture.bootstrap(), "--topic-prefix", layout.prefix()};
    Run then = CapstanCommandLineTest.run(concat(base, "--until", afterUpdate.toString(), "--kind", "cm", "-o", "yaml"));
    assertEquals(0, then.status(), then.err());
    assertTrue(then.out().contains("---\napiVersion: v1\nkind: ConfigMap\n"), then.out());
    assertTrue(then.out().contains("name: settings") && then.out().contains("mode: v2"), then.out());
    Run now = CapstanCommandLineTest.run(concat(base, "--kind", "ConfigMap", "--list"));
    assertEquals(0, now.status(), now.err());
    assertTrue(!now.out().contains("ConfigMap/shop/settings"), "deleted since: " + now.out());
    Run bad = CapstanCommandLineTest.run(concat(base, "-o", "xml"));
    assertEquals(2, bad.status());
    assertTrue(bad.err().contains("-o must be yaml or json"), bad.err());
  }

  @Test
  void replayVerifyChecksTheLogsIdentityInvariants() throws Exception {
    // The real processor's history (create, update, delete of settings) keeps them.
    Run ok = CapstanCommandLineTest.run("replay", "--kafka", KafkaFixture.bootstrap(), "--topic-prefix", layout.prefix(),
        "--verify");
    assertEquals(0, ok.status(), ok.out() + ok.err());
    assertTrue(ok.out().contains("verify: OK, uids are never reused and nothing is written after its delete"), ok.out());

    // A log where a deleted ReplicaSet is made again under its old uid, and a status write follows a delete.
    TopicLayout broken = KafkaFixture.freshLayout(1);
    Properties p = new Properties();
    p.putAll(KafkaFixture.clientConfig());
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(),
        new ByteArraySerializer())) {
      long rv = 100;
      Object[][] steps = {
        {EventOp.CREATED, "web-1", "u1"}, {EventOp.DELETED, "web-1", "u1"}, {EventOp.CREATED, "web-1", "u1"},
        {EventOp.CREATED, "web-2", "u2"}, {EventOp.DELETED, "web-2", "u2"}, {EventOp.STATUS_UPDATED, "web-2", "u2"},
      };
      for (Object[] step : steps) {
        rv++;
        Event e = Event.newBuilder().setOp((EventOp) step[0]).setKind("ReplicaSet").setNamespace("shop")
            .setName((String) step[1]).setUid((String) step[2]).setTimeMicros(rv).setResourceVersion(rv).build();
        producer.send(new ProducerRecord<>(broken.events(), 0, "ReplicaSet/shop/" + step[1],
            LogCodec.get().encode(e))).get();
      }
    }
    Run bad = CapstanCommandLineTest.run("replay", "--kafka", KafkaFixture.bootstrap(), "--topic-prefix",
        broken.prefix(), "--verify");
    assertEquals(1, bad.status(), bad.out() + bad.err());
    assertTrue(bad.out().contains("verify: LOG INVARIANT BROKEN: 2 violation(s)"), bad.out());
    assertTrue(bad.out().contains("ReplicaSet/shop/web-1 CREATED at rv 103 (uid u1): uid reused"), bad.out());
    assertTrue(bad.out().contains("ReplicaSet/shop/web-2 STATUS_UPDATED at rv 106 (uid u2): written after its delete"),
        bad.out());
  }

  private static final String GIZMOS = """
      apiVersion: apiextensions.k8s.io/v1
      kind: CustomResourceDefinition
      metadata: {name: gizmos.audit.example.com}
      spec:
        group: audit.example.com
        scope: Namespaced
        names: {plural: gizmos, singular: gizmo, kind: Gizmo}
        versions:
        - name: v1
          served: true
          storage: true
          schema:
            openAPIV3Schema:
              type: object
              properties:
                spec:
                  type: object
                  properties:
                    level: {type: integer, format: int32}
                    note: {type: string}
      """;

  @Test
  void replayAndAuditReadCustomObjectsAcrossASchemaChange() throws Exception {
    TopicLayout gizmos = KafkaFixture.freshLayout(2);
    Map<String, Object> kafka = KafkaFixture.clientConfig();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (CommandProcessor own = new CommandProcessor(ProcessorConfig.defaults(kafka, gizmos,
            KafkaFixture.tempDir("audit-gizmos")), registry);
        CommandClient client = new CommandClient(CommandClientConfig.defaults(kafka, gizmos, "audit-gizmos"), registry)) {
      own.start();
      own.awaitRunning(Duration.ofSeconds(60));
      send(client, "admin", Commands.create(Namespace.newBuilder()
          .setMetadata(ObjectMeta.newBuilder().setName("lab").build()).build()));
      CommandResult.Accepted v1 = (CommandResult.Accepted) client.send(as("admin", Commands.create(
          KubeJson.fromText(Kinds.CUSTOM_RESOURCE_DEFINITION, GIZMOS).object()))).get(30, TimeUnit.SECONDS);
      for (int i = 0; ; i++) { // the namespace reaches the other partitions a commit later
        CommandResult r = client.send(as("alice", Commands.create(gizmo("g1", "level: 1\n  note: before"))))
            .get(30, TimeUnit.SECONDS);
        if (r instanceof CommandResult.Accepted) {
          break;
        }
        assertTrue(i < 50, "the namespace never became visible: " + r);
        Thread.sleep(100);
      }
      // The schema changes: note removed, tag added, level widened to int64.
      CustomResourceDefinition v2 = KubeJson.<CustomResourceDefinition>fromText(Kinds.CUSTOM_RESOURCE_DEFINITION,
          GIZMOS.replace("level: {type: integer, format: int32}", "level: {type: integer}")
              .replace("note: {type: string}", "tag: {type: string}")).object();
      v2.getMetadata().setResourceVersion(Long.toString(v1.resourceVersion()));
      send(client, "admin", Commands.update(v2));
      send(client, "bob", Commands.create(gizmo("g2", "level: 5000000000\n  tag: after")));
    }
    try {
      String[] base = {"--kafka", KafkaFixture.bootstrap(), "--topic-prefix", gizmos.prefix()};
      Run verify = CapstanCommandLineTest.run(concat(concat(new String[] {"replay"}, base), "--verify"));
      assertEquals(0, verify.status(), verify.out() + verify.err());
      assertTrue(verify.out().contains("verify: OK, live state tables match the replayed state"), verify.out());
      Run list = CapstanCommandLineTest.run(concat(concat(new String[] {"replay"}, base), "--kind", "gizmos", "-o",
          "json"));
      assertEquals(0, list.status(), list.out() + list.err());
      List<String> objects = list.out().lines().filter(l -> l.startsWith("{")).toList();
      assertEquals(2, objects.size(), list.out());
      JsonNode g1 = new ObjectMapper().readTree(objects.get(0));
      assertEquals(1, g1.path("spec").path("level").asLong(), g1.toString());
      assertTrue(g1.path("spec").path("note").isMissingNode(), "resolved into the current schema: " + g1);

      Run trail = CapstanCommandLineTest.run(concat(concat(new String[] {"audit"}, base), "--kind", "gizmos", "-o",
          "json", "--objects"));
      assertEquals(0, trail.status(), trail.out() + trail.err());
      List<String> lines = trail.out().lines().toList();
      assertEquals(2, lines.size(), trail.out());
      JsonNode second = new ObjectMapper().readTree(lines.get(1));
      assertEquals("bob", second.path("actor").asText());
      assertEquals(5_000_000_000L, second.path("responseObject").path("spec").path("level").asLong(), second.toString());
      assertEquals("after", second.path("responseObject").path("spec").path("tag").asText(), second.toString());
      assertEquals(1, new ObjectMapper().readTree(lines.get(0)).path("responseObject").path("spec").path("level")
          .asLong(), lines.get(0));

      Run noJson = CapstanCommandLineTest.run(concat(concat(new String[] {"audit"}, base), "--objects"));
      assertEquals(2, noJson.status(), noJson.out() + noJson.err());
      assertTrue(noJson.err().contains("--objects needs -o json"), noJson.err());
    } finally {
      CustomResourceDefinitions.unfollow("gizmos.audit.example.com");
      Kinds.unregister("Gizmo");
    }
  }

  private static org.apache.avro.generic.IndexedRecord gizmo(String name, String spec) {
    return KubeJson.fromText(Kinds.byName("Gizmo").orElseThrow(), "apiVersion: audit.example.com/v1\nkind: Gizmo\n"
        + "metadata: {name: " + name + ", namespace: lab}\nspec:\n  " + spec + "\n").object();
  }

  private static String[] concat(String[] a, String... b) {
    List<String> all = new ArrayList<>(List.of(a));
    all.addAll(List.of(b));
    return all.toArray(String[]::new);
  }

  @Test
  void badFiltersAreNamed() {
    Run kind = audit("--kind", "widgets");
    assertEquals(2, kind.status());
    assertTrue(kind.err().contains("--kind: no kind is called \"widgets\""), kind.err());
    Run time = audit("--since", "yesterday");
    assertEquals(2, time.status());
    assertTrue(time.err().contains("--since needs an ISO-8601 instant"), time.err());
    Run format = audit("-o", "xml");
    assertEquals(2, format.status());
    assertTrue(format.err().contains("-o must be table or json"), format.err());
  }
}
