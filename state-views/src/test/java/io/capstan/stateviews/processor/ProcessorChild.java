package io.capstan.stateviews.processor;

import io.capstan.logschema.topics.TopicLayout;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * A command processor in a JVM of its own, for tests that kill it: {@code ProcessorChild
 * <bootstrap> <topic prefix> <state dir> [key=value Kafka settings...]}. Prints
 * {@value #RUNNING} once it processes, then runs until killed.
 */
public final class ProcessorChild {
  static final String RUNNING = "CAPSTAN-PROCESSOR-RUNNING";

  private ProcessorChild() {}

  public static void main(String[] args) throws InterruptedException {
    Map<String, Object> kafka = new HashMap<>();
    kafka.put("bootstrap.servers", args[0]);
    for (int i = 3; i < args.length; i++) {
      String[] kv = args[i].split("=", 2);
      kafka.put(kv[0], kv[1]);
    }
    ProcessorConfig cfg = ProcessorConfig.defaults(kafka, new TopicLayout(args[1]), Path.of(args[2]));
    CommandProcessor processor = new CommandProcessor(cfg, new SimpleMeterRegistry());
    processor.start();
    processor.awaitRunning(Duration.ofSeconds(240));
    System.out.println(RUNNING);
    System.out.flush();
    Thread.currentThread().join();
  }
}
