package io.capstan.ops;

import io.capstan.api.Secret;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.codec.MalformedRecordException;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.secrets.EncryptionConfig;
import io.capstan.logschema.secrets.EncryptionKeyException;
import io.capstan.logschema.secrets.SealedDataException;
import io.capstan.logschema.secrets.SecretKeys;
import io.capstan.logschema.secrets.SecretSealing;
import io.capstan.logschema.topics.ObjectPartitioner;
import io.capstan.stateviews.kafka.LogReader;
import io.capstan.stateviews.processor.authn.TicketKeys;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code capstan keys}: the keys that seal Secrets in the log. {@code list} shows them and how
 * many live Secrets each seals; {@code rotate} puts a new key in front (running components reload
 * the file within a second) and rewrites every live Secret with it; {@code retire ID} removes a
 * key's material for good (crypto-shredding: what the event log holds sealed with it becomes
 * unreadable by design), refusing while a live Secret still needs it.
 */
@Command(name = "keys", mixinStandardHelpOptions = true,
    description = {"Lists, rotates and retires the keys that seal Secrets in the log (DATA_DIR/"
        + EncryptionOptions.FILE_NAME + ").",
        "Rotate, then retire the old key: new writes use the new key at once, live Secrets are rewritten with it,"
            + " and once retired, old Secret versions in the event log are unreadable by design (replay and audit"
            + " say \"encrypted with retired key ID\")."},
    subcommands = {KeysCommand.ListKeys.class, KeysCommand.Rotate.class, KeysCommand.Retire.class})
final class KeysCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getErr());
  }

  /** The flags every subcommand shares: the cluster and the file. */
  static final class Target {
    @Mixin ClusterLogOptions cluster;

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = Defaults.DATA_DIR,
        description = "The data dir of the `capstan up` whose keys these are (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Mixin EncryptionOptions encryption;

    Path file() {
      return encryption.file(dataDir.toAbsolutePath().normalize());
    }

    /** The components' session ticket keys of the cluster, {@code DATA_DIR/pki/ticket.key} (docs/identity.md section 2). */
    Path ticketFile() {
      return dataDir.toAbsolutePath().normalize().resolve("pki").resolve(TicketKeys.FILE_NAME);
    }
  }

  /** What {@code rotate} rotates. */
  enum Keys { all, secrets, tickets }

  /** A live Secret as the state table holds it. */
  record LiveSecret(String key, Secret sealed) {}

  /** The live Secrets: the last record per key of the Secret state table, tombstones dropped. */
  static List<LiveSecret> liveSecrets(Map<String, Object> kafka, String topic) {
    Map<String, byte[]> last = new TreeMap<>();
    LogReader.readAll(kafka, topic, r -> {
      if (r.key() == null || ObjectPartitioner.isWatermarkKey(r.key())) {
        return;
      }
      if (r.value() == null) {
        last.remove(r.key());
      } else {
        last.put(r.key(), r.value());
      }
    });
    List<LiveSecret> out = new ArrayList<>();
    last.forEach((k, v) -> {
      try {
        if (LogCodec.get().decode(v) instanceof Secret s) {
          out.add(new LiveSecret(k, s));
        }
      } catch (MalformedRecordException e) {
        throw new IllegalStateException("the state of " + k + " cannot be decoded: " + e.getMessage(), e);
      }
    });
    return out;
  }

  /** Live Secret keys by the name of the key that seals them ("(plaintext)" for ones written before encryption). */
  static Map<String, List<String>> byKey(List<LiveSecret> secrets) {
    Map<String, List<String>> out = new TreeMap<>();
    for (LiveSecret s : secrets) {
      String key = SecretSealing.keyName(s.sealed()).orElse(
          s.sealed().getData() == null || s.sealed().getData().isEmpty() ? "(no data)" : "(plaintext)");
      out.computeIfAbsent(key, k -> new ArrayList<>()).add(s.key());
    }
    return out;
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "Prints each key (the write key first, then the read keys, then the retired ones) and how many"
          + " live Secrets it seals.")
  static final class ListKeys implements java.util.concurrent.Callable<Integer> {
    @Mixin Target target;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      EncryptionConfig config = EncryptionConfig.load(target.file());
      Map<String, List<String>> byKey = byKey(liveSecrets(target.cluster.clientConfig(),
          target.cluster.layout().state(Kinds.SECRET)));
      out.printf("%-12s %-8s %-28s %s%n", "KEY", "USE", "SINCE", "LIVE SECRETS");
      for (int i = 0; i < config.keys().size(); i++) {
        EncryptionConfig.Key k = config.keys().get(i);
        out.printf("%-12s %-8s %-28s %d%n", k.name(), i == 0 ? "write" : "read", k.created(),
            byKey.getOrDefault(k.name(), List.of()).size());
      }
      for (EncryptionConfig.Retired r : config.retired()) {
        out.printf("%-12s %-8s %-28s %d%n", r.name(), "retired", r.retired(),
            byKey.getOrDefault(r.name(), List.of()).size());
      }
      byKey.forEach((k, keys) -> {
        if (k.startsWith("(")) {
          out.printf("%-12s %-8s %-28s %d%n", k, "-", "-", keys.size());
        }
      });
      if (java.nio.file.Files.exists(target.ticketFile())) {
        try {
          List<String> ids = TicketKeys.load(target.ticketFile()).ids();
          out.printf("%nTICKET KEY           USE%n");
          for (int i = 0; i < ids.size(); i++) {
            out.printf("%-20s %s%n", ids.get(i), i == 0 ? "seals and opens" : "opens");
          }
        } catch (java.io.IOException | IllegalArgumentException e) {
          spec.commandLine().getErr().println("cannot read " + target.ticketFile() + ": " + e.getMessage());
        }
      }
      out.flush();
      return 0;
    }
  }

  @Command(name = "rotate", mixinStandardHelpOptions = true,
      description = {"Adds a new key in front of the file: running components reload it within a second and seal"
          + " new writes with it. Then rewrites every live Secret with the new key (an update with its own values)"
          + " and prints the new key's name.",
          "The old keys stay for reading until `capstan keys retire`.",
          "Also puts a new components' session ticket key first in DATA_DIR/pki/ticket.key (when the cluster has"
              + " one): processors seal new tickets with it within a second, tickets sealed before keep working until"
              + " they expire, and ticket keys superseded more than a ticket's lifetime (an hour) ago are dropped."})
  static final class Rotate implements java.util.concurrent.Callable<Integer> {
    /** Running components look at the file once a second ({@link SecretKeys#RELOAD_CHECK_MILLIS}); wait that out twice. */
    static final long RELOAD_WAIT_MILLIS = 2 * SecretKeys.RELOAD_CHECK_MILLIS + 500;
    static final int CONFLICT_ATTEMPTS = 5;

    @Mixin Target target;
    @Option(names = "--only", paramLabel = "KEYS", description = "Rotate only the Secrets' keys (secrets) or only the"
        + " session ticket key (tickets); default both.")
    Keys only = Keys.all;
    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      if (only != Keys.secrets) {
        Path tickets = target.ticketFile();
        if (java.nio.file.Files.exists(tickets)) {
          TicketKeys.Rotation r = TicketKeys.rotate(tickets, Instant.now(),
              java.time.Duration.ofMillis(io.capstan.logschema.session.SessionProtocol.TICKET_LIFETIME_MS));
          out.println("new ticket key " + r.newKey() + " in " + tickets
              + (r.dropped().isEmpty() ? "" : "; dropped " + String.join(", ", r.dropped())));
        } else if (only == Keys.tickets) {
          err.println(tickets + " does not exist: this cluster's processor does not authenticate components");
          return 1;
        }
        out.flush();
        if (only == Keys.tickets) {
          return 0;
        }
      }
      Path file = target.file();
      EncryptionConfig next = EncryptionConfig.load(file).rotated();
      next.write(file);
      SecretKeys.install(file);
      String key = next.writeKey().name();
      out.println("new write key " + key + " in " + file);
      out.flush();
      Thread.sleep(RELOAD_WAIT_MILLIS); // so the running components seal with it before the rewrite reads them
      // its session: the cluster's CA is in the data dir of the up it runs on
      io.capstan.gateway.security.ComponentCertificates.installIfPresent(target.dataDir.toAbsolutePath().normalize());
      Map<String, Object> kafka = target.cluster.clientConfig();
      String topic = target.cluster.layout().state(Kinds.SECRET);
      int rewritten = 0;
      int failed = 0;
      try (CommandClient client = new CommandClient(CommandClientConfig.defaults(kafka, target.cluster.layout(),
          "keys-rotate"), new SimpleMeterRegistry())) {
        for (int attempt = 1; attempt <= CONFLICT_ATTEMPTS; attempt++) {
          List<LiveSecret> todo = liveSecrets(kafka, topic).stream()
              .filter(s -> SecretSealing.keyName(s.sealed()).map(k -> !k.equals(key))
                  .orElse(s.sealed().getData() != null && !s.sealed().getData().isEmpty()))
              .toList();
          if (todo.isEmpty()) {
            break;
          }
          failed = 0;
          for (LiveSecret s : todo) {
            Secret opened;
            try {
              opened = SecretSealing.open(s.sealed(), next);
            } catch (SealedDataException e) {
              err.println(s.key() + ": " + e.getMessage() + "; left as it is");
              failed++;
              continue;
            }
            CommandResult r = client.update(opened).get(60, TimeUnit.SECONDS);
            if (r instanceof CommandResult.Accepted) {
              rewritten++;
            } else if (r instanceof CommandResult.Rejected rej && rej.status().getCode() != 409
                && rej.status().getCode() != 404) {
              err.println(s.key() + ": " + rej.status().getMessage());
              failed++;
            }
          }
          if (failed == todo.size()) {
            break; // nothing left that a retry could change
          }
        }
      } catch (ExecutionException | TimeoutException e) {
        err.println("rewriting the Secrets failed: " + e.getMessage() + "; run `capstan keys rotate` again to finish");
        return 1;
      } finally {
        io.capstan.logschema.session.ComponentSessions.clear(); // the process may run other commands after this one
      }
      out.println("rewrote " + rewritten + " Secrets with key " + key
          + (failed > 0 ? "; " + failed + " could not be rewritten (see above)" : ""));
      return failed > 0 ? 1 : 0;
    }
  }

  @Command(name = "retire", mixinStandardHelpOptions = true,
      description = {"Removes a key's material from the file for good (it must not be the write key: rotate first)."
          + " Refuses while a live Secret is still sealed with it, unless --force.",
          "Secret versions in the event log sealed with it become unreadable by design: replay and audit print"
              + " \"encrypted with retired key ID\"."})
  static final class Retire implements java.util.concurrent.Callable<Integer> {
    @Mixin Target target;
    @Parameters(paramLabel = "ID", description = "The key to retire (see `capstan keys list`).") String id;
    @Option(names = "--force", description = "Retire even though live Secrets are sealed with the key (they become unreadable).")
    boolean force;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      Path file = target.file();
      EncryptionConfig config = EncryptionConfig.load(file);
      EncryptionConfig next;
      try {
        next = config.retire(id, Instant.now());
      } catch (IllegalArgumentException e) {
        err.println(e.getMessage());
        return 2;
      }
      List<String> using = byKey(liveSecrets(target.cluster.clientConfig(),
          target.cluster.layout().state(Kinds.SECRET))).getOrDefault(id, List.of());
      if (!using.isEmpty() && !force) {
        err.println("key " + id + " still seals " + using.size() + " live Secrets (" + String.join(", ",
            using.subList(0, Math.min(5, using.size()))) + (using.size() > 5 ? ", …" : "")
            + "): run `capstan keys rotate` to rewrite them, or retire with --force to shred them");
        return 1;
      }
      next.write(file);
      out.println("retired key " + id + " in " + file + ": what it sealed is unreadable from now on");
      return 0;
    }
  }
}
