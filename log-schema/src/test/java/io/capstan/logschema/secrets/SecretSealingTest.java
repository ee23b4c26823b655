package io.capstan.logschema.secrets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ObjectMeta;
import io.capstan.api.Secret;
import io.capstan.logschema.codec.LogCodec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretSealingTest {
  private static final String PASSWORD = "hunter2-correct-horse";

  private static Secret secret(String name) {
    Map<String, ByteBuffer> data = new HashMap<>();
    data.put("password", ByteBuffer.wrap(PASSWORD.getBytes(StandardCharsets.UTF_8)));
    return Secret.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setName(name).setNamespace("default").build())
        .setData(data)
        .setStringData(Map.of("user", "admin-user-name"))
        .setType("Opaque")
        .build();
  }

  private static String text(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return new String(out, StandardCharsets.UTF_8);
  }

  private static boolean contains(byte[] hay, String needle) {
    return new String(hay, StandardCharsets.ISO_8859_1).contains(needle);
  }

  @Test
  void sealedSecretHoldsNeitherPlaintextNorBase64AndOpensAgain() {
    EncryptionConfig config = EncryptionConfig.generate();
    Secret sealed = SecretSealing.seal(secret("db"), config);
    assertTrue(SecretSealing.isSealed(sealed));
    assertEquals("key-1", SecretSealing.keyName(sealed).orElseThrow());
    assertNull(sealed.getStringData());
    assertEquals(java.util.Set.of(SecretSealing.SEALED_KEY), sealed.getData().keySet());
    byte[] encoded = LogCodec.get().encode(sealed);
    for (String s : new String[] {PASSWORD, "admin-user-name", "password",
        Base64.getEncoder().encodeToString(PASSWORD.getBytes(StandardCharsets.UTF_8))}) {
      assertFalse(contains(encoded, s), "the encoded record contains " + s);
    }
    assertEquals("db", sealed.getMetadata().getName(), "metadata stays readable");
    assertEquals("Opaque", sealed.getType());

    Secret opened = SecretSealing.open(sealed, config);
    assertEquals(PASSWORD, text(opened.getData().get("password")));
    assertEquals("admin-user-name", text(opened.getData().get("user")), "stringData is merged into data");
    assertNull(opened.getStringData());
  }

  @Test
  void eachSealUsesFreshKeysSoEqualValuesLookDifferent() {
    EncryptionConfig config = EncryptionConfig.generate();
    byte[] a = Envelope.seal(config, "same".getBytes(StandardCharsets.UTF_8), new byte[0]);
    byte[] b = Envelope.seal(config, "same".getBytes(StandardCharsets.UTF_8), new byte[0]);
    assertNotEquals(new String(a, StandardCharsets.ISO_8859_1), new String(b, StandardCharsets.ISO_8859_1));
  }

  @Test
  void tamperedCiphertextFailsToOpen() {
    EncryptionConfig config = EncryptionConfig.generate();
    byte[] env = Envelope.seal(config, "value".getBytes(StandardCharsets.UTF_8), "ctx".getBytes(StandardCharsets.UTF_8));
    for (int at : new int[] {env.length - 1, env.length - 20, Envelope.PREFIX.length() + 10}) {
      byte[] bad = env.clone();
      bad[at] ^= 1;
      SealedDataException e = assertThrows(SealedDataException.class,
          () -> Envelope.open(config, bad, "ctx".getBytes(StandardCharsets.UTF_8)));
      assertEquals(SealedDataException.Reason.TAMPERED, e.reason(), e.getMessage());
    }
  }

  @Test
  void dataCopiedToAnotherSecretFailsToOpen() {
    EncryptionConfig config = EncryptionConfig.generate();
    Secret sealed = SecretSealing.seal(secret("db"), config);
    Secret moved = Secret.newBuilder(sealed).build();
    moved.getMetadata().setName("other");
    SealedDataException e = assertThrows(SealedDataException.class, () -> SecretSealing.open(moved, config));
    assertEquals(SealedDataException.Reason.TAMPERED, e.reason());
  }

  @Test
  void relabelledKeyIdFailsClearly() {
    EncryptionConfig config = EncryptionConfig.generate().rotated(); // key-2 writes, key-1 reads
    byte[] env = Envelope.seal(config, "value".getBytes(StandardCharsets.UTF_8), new byte[0]);
    assertEquals("key-2", Envelope.keyName(env));
    String asText = new String(env, StandardCharsets.ISO_8859_1).replaceFirst("key-2", "key-1");
    byte[] relabelled = asText.getBytes(StandardCharsets.ISO_8859_1);
    SealedDataException wrong = assertThrows(SealedDataException.class,
        () -> Envelope.open(config, relabelled, new byte[0]));
    assertEquals(SealedDataException.Reason.TAMPERED, wrong.reason());

    EncryptionConfig other = EncryptionConfig.generate();
    byte[] renamed = new String(env, StandardCharsets.ISO_8859_1).replaceFirst("key-2", "key-9")
        .getBytes(StandardCharsets.ISO_8859_1);
    SealedDataException unknown = assertThrows(SealedDataException.class, () -> Envelope.open(other, renamed, new byte[0]));
    assertEquals(SealedDataException.Reason.UNKNOWN_KEY, unknown.reason());
    assertEquals("key-9", unknown.keyId());
    assertTrue(unknown.getMessage().contains("key-9") && unknown.getMessage().contains("[key-1]"), unknown.getMessage());
  }

  @Test
  void rotationKeepsOldDataReadableAndRetiringShredsIt() {
    EncryptionConfig v1 = EncryptionConfig.generate();
    Secret old = SecretSealing.seal(secret("db"), v1);
    EncryptionConfig v2 = v1.rotated();
    assertEquals("key-2", v2.writeKey().name());
    assertEquals(PASSWORD, text(SecretSealing.open(old, v2).getData().get("password")));
    Secret fresh = SecretSealing.seal(SecretSealing.open(old, v2), v2);
    assertEquals("key-2", SecretSealing.keyName(fresh).orElseThrow());

    assertThrows(IllegalArgumentException.class, () -> v2.retire("key-2", Instant.now()), "the write key");
    EncryptionConfig v3 = v2.retire("key-1", Instant.now());
    SealedDataException e = assertThrows(SealedDataException.class, () -> SecretSealing.open(old, v3));
    assertEquals(SealedDataException.Reason.RETIRED_KEY, e.reason());
    assertEquals("encrypted with retired key key-1", e.getMessage());
    assertEquals(PASSWORD, text(SecretSealing.open(fresh, v3).getData().get("password")));
    assertEquals("key-3", v3.rotated().writeKey().name(), "names are never reused");
  }

  @Test
  void plaintextSecretsFromBeforeEncryptionPassThrough() {
    Secret plain = secret("old");
    plain.setStringData(null);
    assertFalse(SecretSealing.isSealed(plain));
    assertEquals(plain, SecretSealing.open(plain, EncryptionConfig.generate()));
  }

  @Test
  void configFileIsPrivateAndRoundTrips(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("encryption-config.yaml");
    assertTrue(EncryptionConfig.createIfMissing(file));
    assertFalse(EncryptionConfig.createIfMissing(file), "never overwritten");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    EncryptionConfig loaded = EncryptionConfig.load(file);
    EncryptionConfig next = loaded.rotated().retire("key-1", Instant.parse("2026-12-05T18:00:00Z"));
    next.write(file);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    EncryptionConfig again = EncryptionConfig.load(file);
    assertEquals("key-2", again.writeKey().name());
    assertArrayEquals(next.writeKey().secret(), again.writeKey().secret());
    assertTrue(again.isRetired("key-1"));
    assertFalse(again.toString().contains(Base64.getEncoder().encodeToString(again.writeKey().secret())),
        "toString never shows key material");
  }

  @Test
  void missingOrBrokenFileIsRefusedNamingIt(@TempDir Path dir) throws Exception {
    Path missing = dir.resolve("nope.yaml");
    EncryptionKeyException e = assertThrows(EncryptionKeyException.class, () -> EncryptionConfig.load(missing));
    assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("does not exist"), e.getMessage());
    assertThrows(EncryptionKeyException.class, () -> SecretKeys.install(missing));

    Path broken = dir.resolve("broken.yaml");
    Files.writeString(broken, "apiVersion: capstan.io/v1\nkind: EncryptionConfiguration\nkeys:\n- name: k\n  secret: c2hvcnQ=\n");
    EncryptionKeyException b = assertThrows(EncryptionKeyException.class, () -> EncryptionConfig.load(broken));
    assertTrue(b.getMessage().contains(broken.toString()) && b.getMessage().contains("32 bytes"), b.getMessage());

    Path unreadable = dir.resolve("unreadable.yaml");
    EncryptionConfig.generate().write(unreadable);
    Files.setPosixFilePermissions(unreadable, PosixFilePermissions.fromString("---------"));
    if (!Files.isReadable(unreadable)) { // root reads anything
      EncryptionKeyException u = assertThrows(EncryptionKeyException.class, () -> EncryptionConfig.load(unreadable));
      assertTrue(u.getMessage().contains(unreadable.toString()), u.getMessage());
    }
  }
}
