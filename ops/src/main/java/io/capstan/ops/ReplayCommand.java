package io.capstan.ops;

import io.capstan.api.Secret;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.kinds.ObjectKey;
import io.capstan.logschema.secrets.EncryptionConfig;
import io.capstan.logschema.secrets.EncryptionKeyException;
import io.capstan.logschema.secrets.SealedDataException;
import io.capstan.logschema.secrets.SecretKeys;
import io.capstan.logschema.secrets.SecretSealing;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.replay.IncarnationCheck;
import io.capstan.stateviews.replay.Replay;
import io.capstan.stateviews.replay.StateDigest;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.avro.generic.IndexedRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code capstan replay}: rebuild the state from capstan.events alone, digest it, optionally verify it. */
@Command(
    name = "replay",
    mixinStandardHelpOptions = true,
    description = {
      "Rebuilds the whole cluster state from the event log (capstan.events) alone and prints",
      "  state digest: <hex> objects=<n> events=<n>",
      "The digest does not depend on partition count or timing. With --verify, also checks the",
      "log itself (no uid is created twice, nothing is written after its delete but a create)",
      "and compares the replayed state with the live state tables; exits 1 with a summary when",
      "either fails."
    })
public final class ReplayCommand implements Callable<Integer> {

  @Mixin ClusterLogOptions cluster;
  @Mixin EncryptionOptions encryption;

  @Option(names = "--until", paramLabel = "TIME",
      description = "Only events applied at or before this time: an ISO-8601 instant (2026-11-27T04:00:00Z) or an age (10m, 1h30m).")
  String until;

  @Option(names = "--verify", description = "Check the log's uid and delete invariants and compare with the live"
      + " state tables; exit 1 when either fails.")
  boolean verify;

  @Option(names = "--list", description = "Also print the key of every object in the replayed state.")
  boolean list;

  @Option(names = {"-o", "--output"}, paramLabel = "FORMAT",
      description = "Also print every object of the replayed state (with --until: as it was then) as yaml"
          + " (one document per object, as kubectl get -o yaml) or json (one object per line).")
  String output;

  @Option(names = "--kind", paramLabel = "KIND", description = "With --list or -o: only objects of this kind (Pod, pods, po, …).")
  String kind;

  /** Writes may still be landing while we read; a mismatch is re-checked this many times. */
  static final int VERIFY_ATTEMPTS = 3;

  @Spec CommandSpec spec;
  private PrintWriter out;
  private PrintWriter err;

  @Override
  public Integer call() {
    out = spec.commandLine().getOut();
    err = spec.commandLine().getErr();
    try {
      return replay();
    } finally {
      out.flush();
      err.flush();
    }
  }

  private Integer replay() {
    Map<String, Object> cfg;
    try {
      cfg = cluster.clientConfig();
    } catch (IllegalArgumentException e) {
      err.println(e.getMessage());
      return 2;
    }
    long untilMicros = Long.MAX_VALUE;
    if (until != null) {
      try {
        untilMicros = InstantArgument.micros(InstantArgument.parse("--until", until, Instant.now()));
      } catch (IllegalArgumentException e) {
        err.println(e.getMessage());
        return 2;
      }
    }
    TopicLayout layout = cluster.layout();
    if (output != null && !output.equals("yaml") && !output.equals("json")) {
      err.println("-o must be yaml or json, got \"" + output + "\"");
      return 2;
    }
    if (output != null) {
      try {
        encryption.installIfPresent(); // to show Secrets' values; without it they stay sealed
      } catch (EncryptionKeyException e) {
        err.println(e.getMessage());
        return 2;
      }
    }
    // Custom kinds come from their definitions: known here for --kind and decoded in their current schema.
    try {
      ClusterKinds.follow(cfg, layout);
    } catch (RuntimeException e) {
      err.println("reading the custom resource definitions of " + layout.prefix() + "*: " + e.getMessage());
      return 2;
    }
    Optional<Kind> only = Optional.empty();
    if (kind != null) {
      only = Kinds.lookup(kind);
      if (only.isEmpty()) {
        err.println("--kind: no kind is called \"" + kind + "\"; known kinds: "
            + Kinds.all().stream().map(Kind::kind).toList());
        return 2;
      }
    }
    if (verify && until != null) {
      err.println("--verify compares the current state; it cannot be combined with --until");
      return 2;
    }
    Map<String, Long> laggedBefore = Map.of();
    for (int attempt = 1; ; attempt++) {
      // With --verify the tables are read first and the log after: an object that moved on
      // meanwhile (a node's Lease every 10 s) then shows a live version the log passed through.
      StateDigest live = verify ? Replay.liveState(cfg, layout) : null;
      Map<String, Set<Long>> history = verify ? new HashMap<>() : null;
      IncarnationCheck incarnations = verify ? new IncarnationCheck() : null;
      Replay.Result result = Replay.fromEvents(cfg, layout, untilMicros, history, incarnations);
      out.println(result.summary());
      if (result.skipped() > 0) {
        out.println("skipped " + result.skipped() + " malformed events (see the log)");
      }
      if (list) {
        printList(result.state(), only);
      }
      if (output != null) {
        printObjects(result.state(), only, output);
      }
      if (!verify) {
        return 0;
      }
      // An event whose object cannot be read is a hole in the replayed state: never verified.
      if (result.skipped() > 0) {
        out.println("verify: FAILED: " + result.skipped() + " events could not be decoded; the first: "
            + result.firstProblem());
        return 1;
      }
      // A broken log invariant is in the log for good: no point in reading it again.
      if (!incarnations.holds()) {
        out.println(incarnations.summary(20));
        return 1;
      }
      Replay.Comparison cmp = Replay.compare(result.state(), live, history);
      // Lagging is fine once it is seen to move; a table stuck on the same old version is not.
      Map<String, Long> before = laggedBefore;
      boolean stuck = cmp.lagging().entrySet().stream().anyMatch(e -> e.getValue().equals(before.get(e.getKey())));
      if (cmp.matches() && !stuck && (cmp.lagging().isEmpty() || attempt > 1)) {
        out.println(incarnations.summary(20));
        out.println(cmp.summary(20));
        return 0;
      }
      laggedBefore = cmp.lagging();
      if (attempt >= VERIFY_ATTEMPTS) {
        out.println(cmp.matches()
            ? "verify: MISMATCH: live state tables stay behind the log for " + cmp.lagging().keySet()
            : cmp.summary(20));
        return 1;
      }
      err.println("replayed and live state differ; writes may be in flight, checking again (" + attempt + "/" + VERIFY_ATTEMPTS + ")");
      sleep(1000);
    }
  }

  private void printList(StateDigest state, Optional<Kind> only) {
    state.objects().forEach((k, v) -> {
      if (only.isEmpty() || ObjectKey.parse(k).kind().equals(only.get().kind())) {
        out.println(k);
      }
    });
  }

  private void printObjects(StateDigest state, Optional<Kind> only, String format) {
    LogCodec codec = LogCodec.get();
    state.objects().forEach((k, bytes) -> {
      if (only.isPresent() && !ObjectKey.parse(k).kind().equals(only.get().kind())) {
        return;
      }
      IndexedRecord object = codec.decode(bytes);
      if (object instanceof Secret secret && SecretSealing.isSealed(secret)) {
        object = opened(secret);
      }
      out.print(format.equals("yaml") ? "---\n" + KubeJson.toYamlString(object) : KubeJson.toJsonString(object) + "\n");
    });
  }

  /**
   * A Secret of the replayed state with its values when the keys open them; otherwise without
   * them, annotated with why ("encrypted with retired key key-1": crypto-shredded by design).
   */
  private IndexedRecord opened(Secret secret) {
    Optional<EncryptionConfig> keys = SecretKeys.installed();
    if (keys.isEmpty()) {
      return SecretSealing.withoutValues(secret, SecretSealing.describe(secret, keys) + " (no --encryption-config)");
    }
    try {
      return SecretSealing.open(secret, keys.get());
    } catch (SealedDataException e) {
      return SecretSealing.withoutValues(secret, e.getMessage());
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
