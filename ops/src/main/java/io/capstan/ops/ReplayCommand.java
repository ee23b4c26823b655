package io.capstan.ops;

import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.replay.Replay;
import io.capstan.stateviews.replay.StateDigest;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code capstan replay}: rebuild the state from capstan.events alone, digest it, optionally verify it. */
@Command(
    name = "replay",
    mixinStandardHelpOptions = true,
    description = {
      "Rebuilds the whole cluster state from the event log (capstan.events) alone and prints",
      "  state digest: <hex> objects=<n> events=<n>",
      "The digest does not depend on partition count or timing. With --verify, compares the",
      "replayed state with the live state tables and exits 1 with a diff summary when they differ."
    })
public final class ReplayCommand implements Callable<Integer> {

  @Option(names = "--kafka", paramLabel = "BOOTSTRAP", defaultValue = "127.0.0.1:" + Defaults.KAFKA_PORT,
      description = "Kafka bootstrap servers (default: ${DEFAULT-VALUE}, the broker of a local `capstan up`).")
  String kafka;

  @Mixin KafkaClientOptions kafkaClient;

  @Option(names = "--topic-prefix", paramLabel = "PREFIX", defaultValue = Defaults.TOPIC_PREFIX,
      description = "Prefix of every topic name (default: ${DEFAULT-VALUE}).")
  String prefix;

  @Option(names = "--until", paramLabel = "TIME",
      description = "Only events applied at or before this time: an ISO-8601 instant (2026-11-27T04:00:00Z) or an age (10m, 1h30m).")
  String until;

  @Option(names = "--verify", description = "Compare with the live state tables; exit 1 when they differ.")
  boolean verify;

  @Option(names = "--list", description = "Also print the key of every object in the replayed state.")
  boolean list;

  /** Writes may still be landing while we read; a mismatch is re-checked this many times. */
  static final int VERIFY_ATTEMPTS = 3;

  @Override
  public Integer call() {
    Map<String, Object> cfg;
    try {
      cfg = new KafkaConnection(kafka, kafkaClient.resolve()).clientConfig();
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      return 2;
    }
    long untilMicros = Long.MAX_VALUE;
    if (until != null) {
      try {
        untilMicros = InstantArgument.micros(InstantArgument.parse("--until", until, Instant.now()));
      } catch (IllegalArgumentException e) {
        System.err.println(e.getMessage());
        return 2;
      }
    }
    TopicLayout layout = new TopicLayout(prefix);
    if (verify && until != null) {
      System.err.println("--verify compares the current state; it cannot be combined with --until");
      return 2;
    }
    for (int attempt = 1; ; attempt++) {
      Replay.Result result = Replay.fromEvents(cfg, layout, untilMicros);
      System.out.println(result.summary());
      if (result.skipped() > 0) {
        System.out.println("skipped " + result.skipped() + " malformed events (see the log)");
      }
      if (list) {
        printList(result.state());
      }
      if (!verify) {
        return 0;
      }
      Replay.Comparison cmp = Replay.compare(result.state(), Replay.liveState(cfg, layout));
      if (cmp.matches()) {
        System.out.println(cmp.summary(20));
        return 0;
      }
      if (attempt >= VERIFY_ATTEMPTS) {
        System.out.println(cmp.summary(20));
        return 1;
      }
      System.err.println("replayed and live state differ; writes may be in flight, checking again (" + attempt + "/" + VERIFY_ATTEMPTS + ")");
      sleep(1000);
    }
  }

  private static void printList(StateDigest state) {
    state.objects().forEach((k, v) -> System.out.println(k));
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
