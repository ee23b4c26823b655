package io.capstan.stateviews.processor.authn;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The cluster's ticket keys ({@code DATA_DIR/pki/ticket.key}, mode 0600, shared by the processors
 * of a cluster the way {@code encryption-config.yaml} is): one line {@code ID BASE64} per AES-256
 * key; the first seals new tickets, every listed one opens them, so a new key can be put first
 * and an old one dropped after a ticket's lifetime (one hour).
 */
public final class TicketKeys {
  /** The file's name under {@code pki/}. */
  public static final String FILE_NAME = "ticket.key";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Map<String, SecretKey> keys;
  private final String current;
  private final Map<String, SecretKey> processorKeys = new LinkedHashMap<>();

  public TicketKeys(Map<String, SecretKey> keys) {
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("ticket keys: at least one key is needed");
    }
    this.keys = new LinkedHashMap<>(keys);
    this.current = keys.keySet().iterator().next();
    for (Map.Entry<String, SecretKey> e : this.keys.entrySet()) {
      processorKeys.put(e.getKey(), derive(e.getValue(), "capstan processor commands"));
    }
  }

  /** One fresh key (tests, and a new cluster's file). */
  public static TicketKeys generate(String id) {
    byte[] k = new byte[32];
    RANDOM.nextBytes(k);
    return new TicketKeys(Map.of(id, new SecretKeySpec(k, "AES")));
  }

  /** Reads {@code file}, creating it (mode 0600, one new key) when it does not exist. */
  public static TicketKeys ensure(Path file) {
    try {
      if (!Files.exists(file)) {
        Files.createDirectories(file.toAbsolutePath().getParent());
        byte[] k = new byte[32];
        RANDOM.nextBytes(k);
        String text = HEADER + idAt(Instant.now()) + " " + Base64.getEncoder().encodeToString(k) + "\n";
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), FILE_NAME, ".tmp",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        try {
          Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException e) {
          Files.deleteIfExists(tmp); // another process of the cluster made it first
        }
      }
      return load(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare the ticket keys " + file + ": " + e.getMessage(), e);
    }
  }

  /** @throws IllegalArgumentException naming the file and line when it is malformed */
  public static TicketKeys load(Path file) throws IOException {
    Map<String, SecretKey> keys = new LinkedHashMap<>();
    List<String> lines = new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8));
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).trim();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] parts = line.split("\\s+");
      byte[] k;
      try {
        k = parts.length == 2 ? Base64.getDecoder().decode(parts[1]) : null;
      } catch (IllegalArgumentException e) {
        k = null;
      }
      if (k == null || k.length != 32 || parts[0].length() > 64) {
        throw new IllegalArgumentException(file + " line " + (i + 1) + ": expected \"ID BASE64\" with a 32-byte key");
      }
      keys.put(parts[0], new SecretKeySpec(k, "AES"));
    }
    if (keys.isEmpty()) {
      throw new IllegalArgumentException(file + " holds no ticket key");
    }
    return new TicketKeys(keys);
  }

  /** The id of the key new tickets are sealed with. */
  public String current() {
    return current;
  }

  /** The ids of the keys, the sealing one first. */
  public List<String> ids() {
    return List.copyOf(keys.keySet());
  }

  /** What {@link #rotate} did: the new key, and the old ones it dropped. */
  public record Rotation(String newKey, List<String> dropped) {}

  /**
   * Puts a new key first in {@code file} (replaced atomically, mode 0600), so processors that
   * reload it seal new tickets with it while every kept key still opens the tickets it sealed.
   * A key is dropped once it has been superseded longer than {@code ticketLifetime} (its
   * successor's id names when that was made): every ticket it sealed has expired by then. Keys
   * whose ids name no time are kept.
   */
  public static Rotation rotate(Path file, Instant now, java.time.Duration ticketLifetime) throws IOException {
    TicketKeys old = load(file);
    String id = idAt(now);
    for (int n = 2; old.keys.containsKey(id); n++) {
      id = idAt(now) + "-" + n;
    }
    byte[] k = new byte[32];
    RANDOM.nextBytes(k);
    StringBuilder text = new StringBuilder(HEADER).append(id).append(' ')
        .append(Base64.getEncoder().encodeToString(k)).append('\n');
    List<String> dropped = new ArrayList<>();
    Instant supersededAt = now; // the key before the new one is superseded now
    for (Map.Entry<String, SecretKey> e : old.keys.entrySet()) {
      if (supersededAt != null && supersededAt.plus(ticketLifetime).isBefore(now)) {
        dropped.add(e.getKey());
      } else {
        text.append(e.getKey()).append(' ').append(Base64.getEncoder().encodeToString(e.getValue().getEncoded()))
            .append('\n');
      }
      Instant made = madeAt(e.getKey());
      supersededAt = made; // the next (older) key was superseded when this one was made
    }
    write(file, text.toString());
    return new Rotation(id, dropped);
  }

  private static final String HEADER =
      "# Capstan session ticket keys: ID BASE64 per line; the first seals new tickets, each opens them\n";
  private static final DateTimeFormatter ID_TIME = DateTimeFormatter.ofPattern("yyyyMMddHHmmss").withZone(ZoneOffset.UTC);

  private static String idAt(Instant t) {
    return "t-" + ID_TIME.format(t);
  }

  /** When the key {@code id} was made, from its id ({@code t-yyyyMMddHHmmss[-n]}); null when it does not say. */
  static Instant madeAt(String id) {
    if (!id.startsWith("t-") || id.length() < 16) {
      return null;
    }
    try {
      return java.time.LocalDateTime.parse(id.substring(2, 16), DateTimeFormatter.ofPattern("yyyyMMddHHmmss"))
          .toInstant(ZoneOffset.UTC);
    } catch (java.time.format.DateTimeParseException e) {
      return null;
    }
  }

  /** Replaces {@code file} with {@code text} at once, owner-readable only. */
  private static void write(Path file, String text) throws IOException {
    Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), FILE_NAME, ".tmp",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  SecretKey key(String id) {
    return keys.get(id);
  }

  /** The HMAC key of the processor's own commands under ticket key {@code id} (derived from it), or null. */
  SecretKey processorKey(String id) {
    return processorKeys.get(id);
  }

  private static SecretKey derive(SecretKey key, String purpose) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key.getEncoded(), "HmacSHA256"));
      return new SecretKeySpec(mac.doFinal(purpose.getBytes(StandardCharsets.UTF_8)), "HmacSHA256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
