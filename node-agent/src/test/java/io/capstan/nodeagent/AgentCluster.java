package io.capstan.nodeagent;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.capstan.api.Container;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodSpec;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.bootstrap.SystemNamespaces;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.InformerConfig;
import io.capstan.stateviews.informer.SharedInformers;
import io.capstan.stateviews.processor.CommandProcessor;
import io.capstan.stateviews.processor.ProcessorConfig;
import io.capstan.stateviews.testing.KafkaFixture;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real little cluster for node agent tests: the embedded Kafka broker, the command processor,
 * (which writes the pods-by-node view), a command client and a Pod informer for the test's eyes.
 */
public final class AgentCluster implements AutoCloseable {
  public final TopicLayout layout;
  public final Map<String, Object> kafka;
  public final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  public final CommandProcessor processor;
  public final CommandClient client;
  public final SharedInformers informers;
  public final Informer<Pod> pods;

  public AgentCluster(String name) throws InterruptedException {
    this(name, KafkaFixture.clientConfig());
  }

  /** On a Kafka of the test's own (a test that stops its broker must not stop everyone's). */
  public AgentCluster(String name, Map<String, Object> kafka) throws InterruptedException {
    this.kafka = kafka;
    this.layout = new TopicLayout("t" + java.util.UUID.randomUUID().toString().substring(0, 8) + ".");
    io.capstan.stateviews.kafka.TopicAdmin.ensureTopics(kafka, layout, 2, (short) 1);
    Path dir = KafkaFixture.tempDir(name);
    processor = new CommandProcessor(ProcessorConfig.defaults(kafka, layout, dir.resolve("processor")), registry);
    processor.start();
    processor.awaitRunning(Duration.ofSeconds(60));
    client = new CommandClient(CommandClientConfig.defaults(kafka, layout, name + "-test"), registry);
    SystemNamespaces.ensure(client, Duration.ofSeconds(60));
    informers = new SharedInformers(InformerConfig.defaults(kafka, layout, name + "-test"), registry);
    pods = informers.informerFor(Kinds.POD, Pod.class);
    informers.start();
    informers.awaitSynced(Duration.ofSeconds(60));
  }

  public static Pod pod(String name, String restartPolicy, Container... containers) {
    return Pod.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName(name).build())
        .setSpec(PodSpec.newBuilder().setRestartPolicy(restartPolicy).setContainers(List.of(containers)).build())
        .build();
  }

  public static Container container(String name, String image, String... command) {
    return Container.newBuilder().setName(name).setImage(image).setCommand(List.of(command)).build();
  }

  /** Creates the pod and binds it to the node, as the scheduler would. */
  public Pod run(Pod pod, String node) throws Exception {
    assertInstanceOf(CommandResult.Accepted.class, client.create(pod).get(30, TimeUnit.SECONDS));
    CommandResult bound = client.bind("default", pod.getMetadata().getName(), node).get(30, TimeUnit.SECONDS);
    return assertInstanceOf(CommandResult.Accepted.class, bound).objectAs(Pod.class);
  }

  /** Waits until the pod satisfies the condition; fails with the last state seen. */
  public Pod await(String name, Duration timeout, String what, Predicate<Pod> condition) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Pod last = null;
    while (System.nanoTime() < deadline) {
      last = pods.get("default", name).orElse(null);
      if (last != null && condition.test(last)) {
        return last;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("pod " + name + ": " + what + " not reached in " + timeout + "; last seen: " + last);
  }

  public void awaitGone(String name, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (pods.get("default", name).isEmpty()) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("pod " + name + " still there after " + timeout + ": " + pods.get("default", name));
  }

  /** A runc node agent on this cluster (relisting every 200 ms, logs on a free port for {@code clientCaFile}). */
  public NodeAgent startRuncAgent(String node, String dataDirName, Path clientCaFile) throws InterruptedException {
    return startRuncAgent(node, KafkaFixture.tempDir(dataDirName), clientCaFile);
  }

  /** {@link #startRuncAgent(String, String, Path)} on a data dir the test knows. */
  public NodeAgent startRuncAgent(String node, Path dataDir, Path clientCaFile) throws InterruptedException {
    NodeAgent agent = new NodeAgent(NodeAgentConfig.defaults(kafka, layout, node, dataDir,
        NodeAgentConfig.RuntimeKind.RUNC).withRelistPeriod(Duration.ofMillis(200)).withPort(0)
        .withClientCaFile(clientCaFile), registry);
    agent.start(Duration.ofSeconds(60));
    return agent;
  }

  /**
   * Deletes every pod the tests left, so the agent removes its containers (and their overlay
   * mounts and networks), waits for that, then closes the agent.
   */
  public void stopAgent(NodeAgent agent) throws Exception {
    for (Pod p : pods.list()) {
      client.delete(Kinds.POD, p.getMetadata().getNamespace(), p.getMetadata().getName(),
          io.capstan.log.DeleteOptions.newBuilder().setGracePeriodSeconds(0L).build()).get(30, TimeUnit.SECONDS);
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!agent.runtime().listContainers().isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    agent.close();
  }

  @Override
  public void close() {
    informers.close();
    client.close();
    processor.close();
  }
}
