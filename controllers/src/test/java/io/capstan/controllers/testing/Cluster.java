package io.capstan.controllers.testing;

import io.capstan.api.Container;
import io.capstan.api.LabelSelector;
import io.capstan.api.Namespace;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodCondition;
import io.capstan.api.PodSpec;
import io.capstan.api.PodStatus;
import io.capstan.api.PodTemplateSpec;
import io.capstan.controllers.runtime.ObjectWriter;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.informer.InformerConfig;
import io.capstan.stateviews.informer.SharedInformers;
import io.capstan.stateviews.processor.CommandProcessor;
import io.capstan.stateviews.processor.ProcessorConfig;
import io.capstan.stateviews.testing.KafkaFixture;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * A real command processor on the shared embedded broker, with fresh topics, shared informers
 * and a command client: what an integration test of a controller runs against.
 */
public final class Cluster implements AutoCloseable {
  public static final Duration WAIT = Duration.ofSeconds(60);

  public final TopicLayout layout;
  public final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  public final CommandProcessor processor;
  public final SharedInformers informers;
  public final CommandClient client;
  public final ObjectWriter writer;

  public Cluster(String name) throws Exception {
    this(name, 2);
  }

  public Cluster(String name, int partitions) throws Exception {
    layout = KafkaFixture.freshLayout(partitions);
    Map<String, Object> kafka = KafkaFixture.clientConfig();
    processor = new CommandProcessor(ProcessorConfig.defaults(kafka, layout, KafkaFixture.tempDir(name)), registry);
    processor.start();
    processor.awaitRunning(WAIT);
    informers = new SharedInformers(InformerConfig.defaults(kafka, layout, "controllers"), registry);
    client = new CommandClient(CommandClientConfig.defaults(kafka, layout, "controllers"), registry);
    writer = new ObjectWriter(client, Duration.ofSeconds(30));
  }

  /** Starts the informers the controllers asked for and waits for them to sync. */
  public void startInformers() throws InterruptedException {
    informers.start();
    if (!informers.awaitSynced(WAIT)) {
      throw new AssertionError("informers did not sync");
    }
  }

  /** Creates a namespace, then waits until objects in it are accepted (its table reaches every partition). */
  public void namespace(String ns) throws Exception {
    Namespace n = Namespace.newBuilder().setMetadata(ObjectMeta.newBuilder().setName(ns).build()).build();
    CommandResult r = client.create(n).get(30, TimeUnit.SECONDS);
    if (!(r instanceof CommandResult.Accepted)) {
      throw new AssertionError("namespace " + ns + " refused: " + r);
    }
  }

  /** Creates an object, retrying while its namespace is not yet known on its partition. */
  public CommandResult.Accepted create(org.apache.avro.generic.IndexedRecord object) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      CommandResult r = client.create(object).get(30, TimeUnit.SECONDS);
      if (r instanceof CommandResult.Accepted a) {
        return a;
      }
      CommandResult.Rejected rej = (CommandResult.Rejected) r;
      if (rej.status().getCode() != 404 || System.nanoTime() > deadline) {
        throw new AssertionError("create refused: " + rej.status());
      }
      Thread.sleep(100);
    }
  }

  /** Makes a pod Running and Ready (since {@code readySince}) as a node agent would. */
  public CommandResult makeReady(Pod cached, Instant readySince) throws Exception {
    Pod p = PodTemplates.copy(cached);
    p.setStatus(PodStatus.newBuilder().setPhase("Running").setConditions(List.of(
        PodCondition.newBuilder().setType("Ready").setStatus("True").setLastTransitionTime(readySince.toString()).build()))
        .build());
    return client.updateStatus(p).get(30, TimeUnit.SECONDS);
  }

  public static void await(String what, BooleanSupplier condition) throws InterruptedException {
    await(what, condition, () -> "");
  }

  public static void await(String what, BooleanSupplier condition, Supplier<String> state) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what + "; state: " + state.get());
      }
      Thread.sleep(20);
    }
  }

  public static PodTemplateSpec template(Map<String, String> labels, String image) {
    return PodTemplateSpec.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setLabels(labels).build())
        .setSpec(PodSpec.newBuilder().setContainers(List.of(Container.newBuilder().setName("app").setImage(image).build()))
            .build())
        .build();
  }

  public static LabelSelector selector(Map<String, String> labels) {
    return LabelSelector.newBuilder().setMatchLabels(labels).build();
  }

  @Override
  public void close() {
    informers.close();
    client.close();
    processor.close();
  }
}
