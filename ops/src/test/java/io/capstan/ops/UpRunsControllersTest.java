package io.capstan.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.Container;
import io.capstan.api.Deployment;
import io.capstan.api.DeploymentSpec;
import io.capstan.api.LabelSelector;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodSpec;
import io.capstan.api.PodTemplateSpec;
import io.capstan.api.ReplicaSet;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.informer.InformerConfig;
import io.capstan.stateviews.informer.SharedInformers;
import io.capstan.stateviews.testing.KafkaFixture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;

/** {@code capstan up} runs the controllers: a Deployment created through the command client gets its pods. */
class UpRunsControllersTest {
  /** The test's own clients opened sessions with the child's certificates (ComponentCertificates.install). */
  @org.junit.jupiter.api.AfterEach
  void clearSessions() {
    io.capstan.logschema.session.ComponentSessions.clear();
  }

  private static final Duration READY = ChildCapstan.UP_READY;

  @Test
  void aDeploymentGetsAReplicaSetAndPods() throws Exception {
    Path work = KafkaFixture.tempDir("up-controllers");
    try (ChildCapstan up = ChildCapstan.start(work, "up", "--data-dir", work.resolve("data").toString(),
        "--kafka-port", "0", "--metrics-port", "0", "--api-port", "0", "--partitions", "2")) {
      Matcher ready = up.awaitLine("capstan ready: .*kafka=(\\S+) metrics=(\\S+)", READY);
      assertTrue(up.stdout().stream().anyMatch(l -> l.startsWith("controllers ready")), up.stdout().toString());
      Map<String, Object> kafka = Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, ready.group(1));
      TopicLayout layout = TopicLayout.defaults();
      io.capstan.gateway.security.ComponentCertificates.install(work.resolve("data/pki")); // the processor takes only authenticated commands
      try (CommandClient client = new CommandClient(CommandClientConfig.defaults(kafka, layout, "up-test"),
              new SimpleMeterRegistry());
          SharedInformers informers = new SharedInformers(InformerConfig.defaults(kafka, layout, "up-test"),
              new SimpleMeterRegistry())) {
        var pods = informers.informerFor(Kinds.POD, Pod.class);
        var sets = informers.informerFor(Kinds.REPLICA_SET, ReplicaSet.class);
        informers.start();
        assertTrue(informers.awaitSynced(Duration.ofSeconds(60)));
        Map<String, String> labels = Map.of("app", "hello");
        Deployment d = Deployment.newBuilder()
            .setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName("hello").build())
            .setSpec(DeploymentSpec.newBuilder().setReplicas(2)
                .setSelector(LabelSelector.newBuilder().setMatchLabels(labels).build())
                .setTemplate(PodTemplateSpec.newBuilder()
                    .setMetadata(ObjectMeta.newBuilder().setLabels(labels).build())
                    .setSpec(PodSpec.newBuilder().setContainers(List.of(
                        Container.newBuilder().setName("main").setImage("capstan.local/busybox").build())).build())
                    .build())
                .build())
            .build();
        assertTrue(client.create(d).get(30, TimeUnit.SECONDS) instanceof CommandResult.Accepted);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (pods.list("default").stream().filter(p -> p.getMetadata().getName().startsWith("hello-")).count() < 2) {
          assertTrue(System.nanoTime() < deadline, "pods of the deployment: " + pods.keys());
          Thread.sleep(50);
        }
        assertEquals(1, sets.list("default").size(), "one replica set: " + sets.keys());
      }
      // The deployment's reconcile is counted when it ends, after its status update: it may still
      // be under way when the pods its replica set made are seen.
      long metricsDeadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      String metrics;
      do {
        metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(ready.group(2))).build(),
            HttpResponse.BodyHandlers.ofString()).body();
      } while (!metrics.contains("capstan_controller_reconcile_total{controller=\"deployment\"")
          && System.nanoTime() < metricsDeadline && sleep(200));
      assertTrue(metrics.contains("capstan_controller_reconcile_total{controller=\"deployment\""), metrics);
      assertTrue(metrics.contains("capstan_workqueue_depth{name=\"replicaset\"}"), metrics);
      assertEquals(0, up.terminate(Duration.ofMinutes(1)), "exit status after SIGTERM; stderr:\n" + up.stderr());
    }
  }

  private static boolean sleep(long ms) throws InterruptedException {
    Thread.sleep(ms);
    return true;
  }
}
