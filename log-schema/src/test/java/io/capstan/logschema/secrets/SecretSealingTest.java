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
  void sameValuesForTheSameObjectAndKeyHaveOneFingerprint() {
    EncryptionConfig config = EncryptionConfig.generate();
    byte[] ctx = "Secret/default/db".getBytes(StandardCharsets.UTF_8);
    byte[] a = Envelope.seal(config, "same".getBytes(StandardCharsets.UTF_8), ctx);
    byte[] b = Envelope.seal(config, "same".getBytes(StandardCharsets.UTF_8), ctx);
    assertTrue(Envelope.sameSealedValue(a, b));
    assertFalse(Envelope.sameSealedValue(a, Envelope.seal(config, "other".getBytes(StandardCharsets.UTF_8), ctx)));
    assertFalse(Envelope.sameSealedValue(a, Envelope.seal(config, "same".getBytes(StandardCharsets.UTF_8),
        "Secret/default/other".getBytes(StandardCharsets.UTF_8))), "another object");
    assertFalse(Envelope.sameSealedValue(a, Envelope.seal(config.rotated(), "same".getBytes(StandardCharsets.UTF_8), ctx)),
        "another key");
    assertFalse(Envelope.sameSealedValue(a, Envelope.seal(EncryptionConfig.generate(), "same".getBytes(StandardCharsets.UTF_8), ctx)),
        "a key of the same name in another configuration");

    Secret stored = SecretSealing.seal(secret("db"), config);
    Secret again = SecretSealing.seal(secret("db"), config);
    assertTrue(SecretSealing.keepStoredValuesIfSame(stored, again));
    assertEquals(stored.getData(), again.getData());
    Secret other = secret("db");
    other.setStringData(Map.of("user", "someone-else"));
    Secret changed = SecretSealing.seal(other, config);
    assertFalse(SecretSealing.keepStoredValuesIfSame(stored, changed));
    assertNotEquals(stored.getData(), changed.getData());
  }

  /** Envelopes of the first layout (no fingerprint), as the log holds them from before, still open. */
  @Test
  void firstLayoutEnvelopesStillOpenAndHaveNoFingerprint() throws Exception {
    EncryptionConfig config = EncryptionConfig.generate();
    EncryptionConfig.Key kek = config.writeKey();
    byte[] header = (Envelope.PREFIX_V1 + kek.name() + ":").getBytes(StandardCharsets.US_ASCII);
    byte[] ctx = "ctx".getBytes(StandardCharsets.UTF_8);
    byte[] dek = new byte[32];
    byte[] wrapNonce = new byte[12];
    byte[] dataNonce = new byte[12];
    java.security.SecureRandom random = new java.security.SecureRandom();
    random.nextBytes(dek);
    random.nextBytes(wrapNonce);
    random.nextBytes(dataNonce);
    javax.crypto.Cipher wrap = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
    wrap.init(javax.crypto.Cipher.ENCRYPT_MODE, new javax.crypto.spec.SecretKeySpec(kek.secret(), "AES"),
        new javax.crypto.spec.GCMParameterSpec(128, wrapNonce));
    wrap.updateAAD(header);
    byte[] wrapped = wrap.doFinal(dek);
    javax.crypto.Cipher data = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
    data.init(javax.crypto.Cipher.ENCRYPT_MODE, new javax.crypto.spec.SecretKeySpec(dek, "AES"),
        new javax.crypto.spec.GCMParameterSpec(128, dataNonce));
    data.updateAAD(header);
    data.updateAAD(ctx);
    byte[] ciphertext = data.doFinal("old value".getBytes(StandardCharsets.UTF_8));
    byte[] v1 = ByteBuffer.allocate(header.length + 12 + wrapped.length + 12 + ciphertext.length)
        .put(header).put(wrapNonce).put(wrapped).put(dataNonce).put(ciphertext).array();

    assertTrue(Envelope.isEnvelope(v1));
    assertEquals(kek.name(), Envelope.keyName(v1));
    assertEquals("old value", new String(Envelope.open(config, v1, ctx), StandardCharsets.UTF_8));
    assertFalse(Envelope.sameSealedValue(v1, v1), "no fingerprint: never taken for the same value");
  }

  @Test
  void tamperedCiphertextFailsToOpen() {
    EncryptionConfig config = EncryptionConfig.generate();
    byte[] env = Envelope.seal(config, "value".getBytes(StandardCharsets.UTF_8), "ctx".getBytes(StandardCharsets.UTF_8));
    // the ciphertext, the wrapped key, the fingerprint
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
