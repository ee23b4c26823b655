package io.capstan.logschema.secrets;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process's encryption configuration, which every writer seals Secrets with and every reader
 * opens them with (the command client, the informers, replay and audit all reach it here, as they
 * reach the process's {@link io.capstan.logschema.codec.LogCodec}).
 *
 * <p>A component installs the file at start ({@link #install(Path)}), which fails naming the file
 * when it is missing or unreadable: never a fallback to plaintext. The file is looked at again at
 * most once a {@link #RELOAD_CHECK_MILLIS} and reloaded when it changed, so {@code capstan keys
 * rotate} takes effect in running components without a restart (as kube-apiserver's
 * {@code --encryption-provider-config-automatic-reload}); a changed file that does not load is
 * logged and the keys in use are kept.
 *
 * <p>When nothing was installed (a library user, a test) the first use generates a key that
 * lives only in this process, with a warning: Secrets are still sealed, but another process
 * cannot open them.
 */
public final class SecretKeys {
  private static final Logger log = LoggerFactory.getLogger(SecretKeys.class);
  /** How often a file's modification time is looked at. */
  public static final long RELOAD_CHECK_MILLIS = 1000;

  private static final Object LOCK = new Object();
  private static volatile Source source;

  private SecretKeys() {}

  /** Where the keys come from: a file (reloaded when it changes) or a fixed configuration. */
  private static final class Source {
    final Path file;
    volatile EncryptionConfig config;
    volatile FileTime modified;
    volatile long checkedAt;

    Source(Path file, EncryptionConfig config, FileTime modified) {
      this.file = file;
      this.config = config;
      this.modified = modified;
      this.checkedAt = System.currentTimeMillis();
    }
  }

  /**
   * Loads {@code file} and makes it this process's encryption configuration.
   *
   * @throws EncryptionKeyException naming the file when it is missing, unreadable or malformed
   */
  public static EncryptionConfig install(Path file) {
    FileTime modified = modifiedTime(file);
    EncryptionConfig config = EncryptionConfig.load(file);
    source = new Source(file, config, modified);
    log.info("Secrets are sealed with key {} of {} ({} keys, {} retired)", config.writeKey().name(), file,
        config.keys().size(), config.retired().size());
    return config;
  }

  /** Makes {@code config} this process's encryption configuration, not backed by a file (tools, tests). */
  public static void install(EncryptionConfig config) {
    source = new Source(null, config, null);
  }

  /** The file installed, if any. */
  public static Optional<Path> file() {
    Source s = source;
    return s == null ? Optional.empty() : Optional.ofNullable(s.file);
  }

  /** The configuration installed, if any (reloaded from its file when that changed); never generates one. */
  public static Optional<EncryptionConfig> installed() {
    return source == null ? Optional.empty() : Optional.of(current());
  }

  /** The configuration in use (reloaded from its file when that changed). */
  public static EncryptionConfig current() {
    Source s = source;
    if (s == null) {
      synchronized (LOCK) {
        if (source == null) {
          log.warn("no encryption configuration was installed: Secrets are sealed with a key that lives only in"
              + " this process");
          source = new Source(null, EncryptionConfig.generate(), null);
        }
        s = source;
      }
    }
    if (s.file != null && System.currentTimeMillis() - s.checkedAt >= RELOAD_CHECK_MILLIS) {
      reloadIfChanged(s);
    }
    return s.config;
  }

  /** Reloads the installed file now if it changed (a tool that just rewrote it need not wait). */
  public static void reloadNow() {
    Source s = source;
    if (s != null && s.file != null) {
      reloadIfChanged(s);
    }
  }

  private static void reloadIfChanged(Source s) {
    synchronized (LOCK) {
      s.checkedAt = System.currentTimeMillis();
      FileTime now;
      try {
        now = modifiedTime(s.file);
      } catch (EncryptionKeyException e) {
        log.error("{}; keeping the keys loaded before", e.getMessage());
        return;
      }
      if (now.equals(s.modified)) {
        return;
      }
      try {
        EncryptionConfig c = EncryptionConfig.load(s.file);
        s.config = c;
        s.modified = now;
        log.info("reloaded {}: Secrets are now sealed with key {}", s.file, c.writeKey().name());
      } catch (EncryptionKeyException e) {
        log.error("{}; keeping the keys loaded before", e.getMessage());
      }
    }
  }

  private static FileTime modifiedTime(Path file) {
    try {
      return Files.getLastModifiedTime(file);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new EncryptionKeyException("the encryption configuration " + file + " does not exist");
    } catch (IOException e) {
      throw new EncryptionKeyException("the encryption configuration " + file + " cannot be read: " + e, e);
    }
  }
}
