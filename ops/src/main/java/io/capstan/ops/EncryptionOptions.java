package io.capstan.ops;

import io.capstan.logschema.secrets.EncryptionConfig;
import io.capstan.logschema.secrets.EncryptionKeyException;
import io.capstan.logschema.secrets.SecretKeys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

/**
 * The {@code --encryption-config} flag: the file of key-encryption keys that seal Secrets in the
 * log (see {@link EncryptionConfig}). By default {@code DATA_DIR/encryption-config.yaml}, which
 * {@code up} generates on a cluster's first start.
 */
final class EncryptionOptions {
  /** The file's name under the data dir. */
  static final String FILE_NAME = "encryption-config.yaml";

  @Option(names = "--encryption-config", paramLabel = "FILE",
      description = "The encryption configuration: the keys that seal Secrets in the log (default: DATA_DIR/"
          + FILE_NAME + "; `capstan up` generates it on first start, mode 0600).")
  Path file;

  /** The file to use with {@code dataDir}. */
  Path file(Path dataDir) {
    return (file != null ? file : dataDir.resolve(FILE_NAME)).toAbsolutePath().normalize();
  }

  /**
   * For a process that writes or reads Secrets: installs the file, creating it first when
   * {@code mayCreate} and the data dir holds no cluster yet.
   *
   * @throws EncryptionKeyException naming the file when it is missing (on a data dir that already
   *     holds a cluster, or where creating is not allowed), unreadable or malformed: never plaintext
   */
  EncryptionConfig install(Path dataDir, boolean mayCreate) {
    Path f = file(dataDir);
    if (!Files.exists(f)) {
      if (!mayCreate || holdsCluster(dataDir)) {
        throw new EncryptionKeyException("the encryption configuration " + f + " is missing"
            + (mayCreate ? ", but " + dataDir + " already holds a cluster whose Secrets it sealed: restore it from"
                + " your backup" : ": copy it from the data dir of the `capstan up` or gateway that created it,"
                + " or name it with --encryption-config")
            + " (refusing to start rather than keep Secrets in plaintext)");
      }
      if (EncryptionConfig.createIfMissing(f)) {
        LoggerFactory.getLogger(EncryptionOptions.class).info("generated the encryption configuration {} (mode 0600):"
            + " back it up, no Secret can be read without it; every process of a cluster must use the same file", f);
      }
    }
    return SecretKeys.install(f);
  }

  /**
   * For a tool that reads the log (replay, audit): installs the file when there is one; without
   * it Secrets stay sealed in the output.
   */
  Optional<EncryptionConfig> installIfPresent() {
    Path f = file != null ? file : Path.of(Defaults.DATA_DIR, FILE_NAME);
    if (file == null && !Files.exists(f)) {
      return Optional.empty();
    }
    return Optional.of(SecretKeys.install(f.toAbsolutePath().normalize()));
  }

  /**
   * True when a cluster has run on this data dir before: the broker's log, the processor's stores,
   * the gateway's certificates or the node agent's pods exist.
   */
  static boolean holdsCluster(Path dataDir) {
    for (String sub : new String[] {Defaults.KAFKA_SUBDIR, Defaults.STATE_VIEWS_SUBDIR, "pki", Defaults.NODE_AGENT_SUBDIR}) {
      Path d = dataDir.resolve(sub);
      if (Files.isDirectory(d)) {
        try (Stream<Path> entries = Files.list(d)) {
          if (entries.findAny().isPresent()) {
            return true;
          }
        } catch (IOException e) {
          return true; // cannot tell: do not mint a new key over an old cluster
        }
      }
    }
    return false;
  }
}
