package io.capstan.stateviews.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.capstan.api.ClusterRole;
import io.capstan.api.ClusterRoleBinding;
import io.capstan.api.ConfigMap;
import io.capstan.api.Lease;
import io.capstan.api.LeaseSpec;
import io.capstan.api.Namespace;
import io.capstan.api.ObjectMeta;
import io.capstan.api.PolicyRule;
import io.capstan.api.RoleRef;
import io.capstan.api.Subject;
import io.capstan.log.ErrorStatus;
import io.capstan.log.Event;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.testing.KafkaFixture;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Components' commands on the real broker, through the command client as the components send
 * them: the node's and the scheduler's identities are authorized by the default roles from the
 * first command, a node is held to its own Lease, a refusal is kube's 403 and leaves no event,
 * and a ClusterRoleBinding written later reaches every partition's authorization through the
 * processor's global RBAC stores.
 */
class ComponentAuthorizationKafkaTest {
  private static final int PARTITIONS = 3;
  private static final Duration WAIT = Duration.ofSeconds(30);

  @Test
  void componentsAreAuthorizedByTheRbacTablesOnEveryPartition() throws Exception {
    TopicLayout layout = KafkaFixture.freshLayout(PARTITIONS);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Map<String, Object> kafka = KafkaFixture.clientConfig();
    ProcessorConfig pc = ProcessorConfig.defaults(kafka, layout, KafkaFixture.tempDir("authz-it"));
    try (CommandProcessor processor = new CommandProcessor(pc, registry);
        CommandClient admin = new CommandClient(CommandClientConfig.defaults(kafka, layout, "authz-it"), registry);
        CommandClient node = new CommandClient(CommandClientConfig.identified(kafka, layout, "node-n1",
            "system:node:n1"), registry);
        CommandClient scheduler = new CommandClient(CommandClientConfig.identified(kafka, layout, "scheduler",
            "system:kube-scheduler"), registry)) {
      processor.start();
      processor.awaitRunning(Duration.ofSeconds(60));
      accepted(admin.create(namespace("kube-node-lease")));
      accepted(admin.create(namespace("authz")));

      // The node's own Lease: allowed by system:node from the start (namespace tables may lag: retry 404s).
      CommandResult.Accepted own = awaitAccepted(() -> node.create(lease("kube-node-lease", "n1")));
      assertEquals("system:node:n1", events(layout, "Lease/kube-node-lease/n1").get(0).getActor());
      ErrorStatus other = rejected(node.create(lease("kube-node-lease", "n2")));
      assertEquals(403, other.getCode());
      assertEquals("leases.coordination.k8s.io \"n2\" is forbidden: can only access node lease with the same name as"
          + " the requesting node", other.getMessage());
      assertTrue(own.resourceVersion() > 0);

      // The scheduler may not write ConfigMaps: kube's words, nothing stored.
      for (int i = 0; i < PARTITIONS * 2; i++) {
        int n = i;
        ErrorStatus denied = awaitRefusal(() -> scheduler.create(configMap("authz", "cfg-" + n)));
        assertEquals("configmaps is forbidden: User \"system:kube-scheduler\" cannot create resource"
            + " \"configmaps\" in API group \"\" in the namespace \"authz\"", denied.getMessage());
      }

      // Until a binding grants it: the global RBAC stores bring it to every partition.
      accepted(admin.create(ClusterRole.newBuilder().setMetadata(ObjectMeta.newBuilder().setName("cm-writer").build())
          .setRules(List.of(PolicyRule.newBuilder().setVerbs(List.of("create")).setApiGroups(List.of(""))
              .setResources(List.of("configmaps")).build())).build()));
      accepted(admin.create(ClusterRoleBinding.newBuilder()
          .setMetadata(ObjectMeta.newBuilder().setName("cm-writer").build())
          .setSubjects(List.of(Subject.newBuilder().setKind("User").setName("system:kube-scheduler")
              .setApiGroup("rbac.authorization.k8s.io").build()))
          .setRoleRef(RoleRef.newBuilder().setApiGroup("rbac.authorization.k8s.io").setKind("ClusterRole")
              .setName("cm-writer").build()).build()));
      for (int i = 0; i < PARTITIONS * 2; i++) {
        int n = i;
        awaitAccepted(() -> scheduler.create(configMap("authz", "cfg-" + n)));
      }
      List<Event> written = KafkaLogs.read(layout.events(), true, r -> r.stream()
              .filter(x -> x.key().startsWith("ConfigMap/authz/")).count() >= PARTITIONS * 2, WAIT).stream()
          .filter(x -> x.key().startsWith("ConfigMap/authz/"))
          .map(x -> ProcessorHarness.CODEC.decode(x.value(), Event.class)).toList();
      assertEquals(PARTITIONS * 2, written.size(), "one event per accepted create, none for the refusals");
      assertTrue(written.stream().allMatch(e -> e.getActor().equals("system:kube-scheduler")));
    }
  }

  static List<Event> events(TopicLayout layout, String key) {
    return KafkaLogs.read(layout.events(), true, r -> r.stream().anyMatch(x -> x.key().equals(key)), WAIT).stream()
        .filter(x -> x.key().equals(key)).map(x -> ProcessorHarness.CODEC.decode(x.value(), Event.class)).toList();
  }

  static Namespace namespace(String name) {
    return Namespace.newBuilder().setMetadata(ObjectMeta.newBuilder().setName(name).build()).build();
  }

  private static Lease lease(String namespace, String name) {
    return Lease.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace(namespace).setName(name).build())
        .setSpec(LeaseSpec.newBuilder().setHolderIdentity(name).setLeaseDurationSeconds(40).build()).build();
  }

  private static ConfigMap configMap(String namespace, String name) {
    return ConfigMap.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace(namespace).setName(name).build())
        .setData(Map.of("k", "v")).build();
  }

  static CommandResult.Accepted accepted(CompletableFuture<CommandResult> f) throws Exception {
    CommandResult r = f.get(60, TimeUnit.SECONDS);
    return assertInstanceOf(CommandResult.Accepted.class, r, () -> "expected acceptance, got " + r);
  }

  static ErrorStatus rejected(CompletableFuture<CommandResult> f) throws Exception {
    CommandResult r = f.get(60, TimeUnit.SECONDS);
    return assertInstanceOf(CommandResult.Rejected.class, r, () -> "expected a refusal, got " + r).status();
  }

  /** Accepted, once the tables it depends on (namespaces, RBAC) have reached its partition. */
  static CommandResult.Accepted awaitAccepted(Supplier<CompletableFuture<CommandResult>> send) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      CommandResult r = send.get().get(60, TimeUnit.SECONDS);
      if (r instanceof CommandResult.Accepted a) {
        return a;
      }
      if (System.nanoTime() > deadline) {
        fail("still refused: " + ((CommandResult.Rejected) r).status().getMessage());
      }
      Thread.sleep(20);
    }
  }

  /** The 403, once the namespace has reached the partition (a 404 before is retried). */
  private static ErrorStatus awaitRefusal(Supplier<CompletableFuture<CommandResult>> send) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      CommandResult r = send.get().get(60, TimeUnit.SECONDS);
      if (r instanceof CommandResult.Accepted) {
        fail("accepted while RBAC should refuse it");
      }
      ErrorStatus s = ((CommandResult.Rejected) r).status();
      if (s.getCode() == 403) {
        return s;
      }
      if (System.nanoTime() > deadline) {
        fail("not refused with 403: " + s.getMessage());
      }
      Thread.sleep(20);
    }
  }
}
