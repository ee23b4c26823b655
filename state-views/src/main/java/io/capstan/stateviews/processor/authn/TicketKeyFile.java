package io.capstan.stateviews.processor.authn;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ticket keys of {@code pki/ticket.key} as they are now: the file is looked at at most once
 * every {@code checkMillis} and read again when its content changed, so a rotation ({@code capstan
 * keys rotate}) reaches a running processor within a second, as {@code encryption-config.yaml}
 * does. A file that turns unreadable or malformed keeps the keys loaded before (logged): a
 * processor never stops authenticating because of a half-edited file.
 */
public final class TicketKeyFile implements Supplier<TicketKeys> {
  /** How often a processor looks at the file. */
  public static final long CHECK_MILLIS = 1000;
  private static final Logger log = LoggerFactory.getLogger(TicketKeyFile.class);

  private final Path file;
  private final long checkMillis;
  private volatile TicketKeys keys;
  private volatile long checkedAt;
  private byte[] content;

  private TicketKeyFile(Path file, long checkMillis, TicketKeys keys, byte[] content) {
    this.file = file;
    this.checkMillis = checkMillis;
    this.keys = keys;
    this.content = content;
    this.checkedAt = System.currentTimeMillis();
  }

  /** The keys of {@code file}, made (mode 0600, one new key) when it does not exist. */
  public static TicketKeyFile ensure(Path file) {
    return ensure(file, CHECK_MILLIS);
  }

  /** As {@link #ensure(Path)}, looking at the file every {@code checkMillis} (tests: 0, at every use). */
  public static TicketKeyFile ensure(Path file, long checkMillis) {
    TicketKeys keys = TicketKeys.ensure(file);
    byte[] content;
    try {
      content = Files.readAllBytes(file);
    } catch (IOException e) {
      content = new byte[0]; // read again at the next look
    }
    return new TicketKeyFile(file, checkMillis, keys, content);
  }

  @Override
  public TicketKeys get() {
    if (System.currentTimeMillis() - checkedAt >= checkMillis) {
      reloadIfChanged();
    }
    return keys;
  }

  private synchronized void reloadIfChanged() {
    if (System.currentTimeMillis() - checkedAt < checkMillis) {
      return; // another thread just looked
    }
    checkedAt = System.currentTimeMillis();
    try {
      byte[] now = Files.readAllBytes(file);
      if (Arrays.equals(now, content)) {
        return;
      }
      TicketKeys loaded = TicketKeys.load(file);
      content = now;
      keys = loaded;
      log.info("reloaded {}: new tickets are sealed with key {}; keys {} open them", file, loaded.current(),
          loaded.ids());
    } catch (IOException | IllegalArgumentException e) {
      log.error("cannot reload the ticket keys {}: {}; keeping the keys loaded before", file, e.getMessage());
    }
  }
}
