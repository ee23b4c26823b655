package io.capstan.logschema.secrets;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The encryption configuration: the key-encryption keys (KEKs) that wrap the data keys of
 * Secrets in the log, kept in one YAML file that only its owner can read (mode 0600).
 *
 * <p>The shape follows kube-apiserver's {@code EncryptionConfiguration}: an ordered list of keys
 * where the first encrypts everything new and every listed key can still decrypt, so rotation is
 * "add a key in front, rewrite, drop the old one". YAML because operators read and back up this
 * file by hand, and kube's file is YAML too. Unlike kube's it also remembers the names of
 * retired keys, so data sealed with one is reported as crypto-shredded rather than as corrupt:
 * <pre>
 * apiVersion: capstan.io/v1
 * kind: EncryptionConfiguration
 * resources: [secrets]
 * keys:                      # the first wraps new data keys; all of them unwrap
 * - name: key-2
 *   secret: &lt;base64 of 32 random bytes&gt;
 *   created: 2026-12-05T18:00:00Z
 * retired:                   # their material is gone: what they sealed is unreadable by design
 * - name: key-1
 *   retired: 2026-12-05T18:10:00Z
 * </pre>
 *
 * @param keys    the usable keys, the write key first; never empty
 * @param retired the names of keys whose material was removed
 */
public record EncryptionConfig(List<Key> keys, List<Retired> retired) {
  public static final String API_VERSION = "capstan.io/v1";
  public static final String KIND = "EncryptionConfiguration";
  /** AES-256: the key size of both the key-encryption keys and the data keys. */
  public static final int KEY_BYTES = 32;
  private static final String KEY_NAME_PREFIX = "key-";
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final SecureRandom RANDOM = new SecureRandom();

  /** A key-encryption key: its name (recorded in every record it seals) and its 256 bits. */
  public record Key(String name, byte[] secret, Instant created) {
    public Key {
      if (name == null || name.isEmpty() || name.indexOf(':') >= 0) {
        throw new IllegalArgumentException("key name must be non-empty and without ':', got \"" + name + "\"");
      }
      if (secret == null || secret.length != KEY_BYTES) {
        throw new IllegalArgumentException("key " + name + ": the secret must be " + KEY_BYTES + " bytes");
      }
      secret = secret.clone();
    }

    @Override
    public byte[] secret() {
      return secret.clone();
    }

    @Override
    public String toString() {
      return "Key[" + name + ", created " + created + "]"; // never the material
    }
  }

  /** A key that was removed: only its name and when. */
  public record Retired(String name, Instant retired) {}

  public EncryptionConfig {
    if (keys == null || keys.isEmpty()) {
      throw new IllegalArgumentException("an encryption configuration needs at least one key");
    }
    keys = List.copyOf(keys);
    retired = retired == null ? List.of() : List.copyOf(retired);
    Set<String> names = new HashSet<>();
    for (Key k : keys) {
      if (!names.add(k.name())) {
        throw new IllegalArgumentException("key " + k.name() + " is listed twice");
      }
    }
    for (Retired r : retired) {
      if (!names.add(r.name())) {
        throw new IllegalArgumentException("key " + r.name() + " is both listed and retired");
      }
    }
  }

  /** A new configuration with one fresh random key, {@code key-1}. */
  public static EncryptionConfig generate() {
    return new EncryptionConfig(List.of(newKey(KEY_NAME_PREFIX + 1)), List.of());
  }

  /** The key that seals new data. */
  public Key writeKey() {
    return keys.get(0);
  }

  public Optional<Key> key(String name) {
    return keys.stream().filter(k -> k.name().equals(name)).findFirst();
  }

  public boolean isRetired(String name) {
    return retired.stream().anyMatch(r -> r.name().equals(name));
  }

  /** This configuration with a fresh key in front (the new write key); the others stay for reading. */
  public EncryptionConfig rotated() {
    int next = 0;
    for (String n : allNames()) {
      if (n.startsWith(KEY_NAME_PREFIX)) {
        try {
          next = Math.max(next, Integer.parseInt(n.substring(KEY_NAME_PREFIX.length())));
        } catch (NumberFormatException ignored) {
          // a hand-named key: numbering goes on from the others
        }
      }
    }
    List<Key> ks = new ArrayList<>();
    ks.add(newKey(KEY_NAME_PREFIX + (next + 1)));
    ks.addAll(keys);
    return new EncryptionConfig(ks, retired);
  }

  /**
   * This configuration without the material of key {@code name}, which is remembered as retired.
   *
   * @throws IllegalArgumentException when there is no such key, or it is the write key (rotate first)
   */
  public EncryptionConfig retire(String name, Instant now) {
    if (isRetired(name)) {
      throw new IllegalArgumentException("key " + name + " is already retired");
    }
    if (key(name).isEmpty()) {
      throw new IllegalArgumentException("there is no key " + name + "; keys: " + keys.stream().map(Key::name).toList());
    }
    if (writeKey().name().equals(name)) {
      throw new IllegalArgumentException("key " + name + " is the write key: rotate first (capstan keys rotate)");
    }
    List<Key> ks = keys.stream().filter(k -> !k.name().equals(name)).toList();
    List<Retired> rs = new ArrayList<>(retired);
    rs.add(new Retired(name, now));
    return new EncryptionConfig(ks, rs);
  }

  private List<String> allNames() {
    List<String> names = new ArrayList<>(keys.stream().map(Key::name).toList());
    retired.forEach(r -> names.add(r.name()));
    return names;
  }

  private static Key newKey(String name) {
    byte[] secret = new byte[KEY_BYTES];
    RANDOM.nextBytes(secret);
    return new Key(name, secret, Instant.now());
  }

  /**
   * Reads a configuration file.
   *
   * @throws EncryptionKeyException naming the file when it is missing, unreadable or malformed
   */
  public static EncryptionConfig load(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new EncryptionKeyException("the encryption configuration " + file + " does not exist");
    } catch (AccessDeniedException e) {
      throw new EncryptionKeyException("the encryption configuration " + file + " cannot be read: permission denied");
    } catch (IOException e) {
      throw new EncryptionKeyException("the encryption configuration " + file + " cannot be read: " + e, e);
    }
    try {
      return parse(new String(bytes, StandardCharsets.UTF_8));
    } catch (IllegalArgumentException | IOException e) {
      throw new EncryptionKeyException("the encryption configuration " + file + " is malformed: " + e.getMessage(), e);
    }
  }

  static EncryptionConfig parse(String yaml) throws IOException {
    JsonNode root = YAML.readTree(yaml);
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("expected a YAML mapping");
    }
    if (!KIND.equals(root.path("kind").asText()) || !API_VERSION.equals(root.path("apiVersion").asText())) {
      throw new IllegalArgumentException("expected apiVersion: " + API_VERSION + " and kind: " + KIND);
    }
    JsonNode keys = root.path("keys");
    if (!keys.isArray() || keys.isEmpty()) {
      throw new IllegalArgumentException("keys: at least one key is required");
    }
    List<Key> ks = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      JsonNode k = keys.get(i);
      String name = k.path("name").asText("");
      byte[] secret;
      try {
        secret = Base64.getDecoder().decode(k.path("secret").asText(""));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("keys[" + i + "].secret: not base64");
      }
      if (secret.length != KEY_BYTES) {
        throw new IllegalArgumentException("keys[" + i + "].secret: must be " + KEY_BYTES + " bytes (base64), got "
            + secret.length);
      }
      ks.add(new Key(name, secret, instant(k.path("created"))));
      Arrays.fill(secret, (byte) 0);
    }
    List<Retired> rs = new ArrayList<>();
    for (JsonNode r : root.path("retired")) {
      rs.add(new Retired(r.path("name").asText(""), instant(r.path("retired"))));
    }
    return new EncryptionConfig(ks, rs);
  }

  private static Instant instant(JsonNode n) {
    return n.isTextual() ? Instant.parse(n.asText()) : null;
  }

  /** The YAML text of this configuration (with the key material). */
  public String toYaml() {
    ObjectNode root = YAML.createObjectNode();
    root.put("apiVersion", API_VERSION);
    root.put("kind", KIND);
    root.putArray("resources").add("secrets");
    ArrayNode ks = root.putArray("keys");
    for (Key k : keys) {
      ObjectNode n = ks.addObject();
      n.put("name", k.name());
      n.put("secret", Base64.getEncoder().encodeToString(k.secret));
      if (k.created() != null) {
        n.put("created", k.created().toString());
      }
    }
    ArrayNode rs = root.putArray("retired");
    for (Retired r : retired) {
      ObjectNode n = rs.addObject();
      n.put("name", r.name());
      if (r.retired() != null) {
        n.put("retired", r.retired().toString());
      }
    }
    try {
      return "# Capstan's key-encryption keys for Secrets in the log. Keep this file secret (mode 0600) and backed up:\n"
          + "# without it no Secret can be read. The first key wraps new data keys; every listed key unwraps.\n"
          + YAML.writeValueAsString(root);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Writes this configuration to {@code file} with mode 0600: to a private temporary file next to
   * it, then moved over it atomically, so a crash leaves either the old file or the new one.
   */
  public void write(Path file) {
    Path dir = file.toAbsolutePath().getParent();
    Path tmp = dir.resolve("." + file.getFileName() + ".tmp");
    try {
      Files.deleteIfExists(tmp);
      Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(tmp, toYaml());
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new EncryptionKeyException("cannot write the encryption configuration " + file + ": " + e, e);
    }
  }

  /**
   * Creates {@code file} with a fresh configuration (mode 0600) when it does not exist yet.
   *
   * @return true when it was created
   */
  public static boolean createIfMissing(Path file) {
    if (Files.exists(file)) {
      return false;
    }
    Path dir = file.toAbsolutePath().getParent();
    Path tmp = dir.resolve("." + file.getFileName() + ".new");
    try {
      Files.deleteIfExists(tmp);
      Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(tmp, generate().toYaml());
      // A hard link appears whole and fails when the file exists: two starts racing never overwrite each other's keys.
      Files.createLink(file, tmp);
      return true;
    } catch (FileAlreadyExistsException e) {
      return false;
    } catch (IOException e) {
      throw new EncryptionKeyException("cannot create the encryption configuration " + file + ": " + e, e);
    } finally {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // best effort; it holds a key nobody uses
      }
    }
  }
}
