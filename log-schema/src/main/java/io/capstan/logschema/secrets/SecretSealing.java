package io.capstan.logschema.secrets;

import io.capstan.api.ObjectMeta;
import io.capstan.api.Secret;
import io.capstan.logschema.kinds.TrustedModelClasses;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Secret's values as the log holds them: {@code data} and {@code stringData} merged (stringData
 * wins and is write-only, as kube-apiserver does) and sealed into one {@link Envelope} under the
 * single data key {@value #SEALED_KEY}; everything else (metadata, type, immutable) stays readable,
 * so the command processor can validate, version and route the object without the keys.
 *
 * <p>The Avro schema of Secret is unchanged: old logs and plaintext Secrets written before
 * encryption still decode (and {@link #open} passes them through). The envelope is bound to the
 * object's {@code namespace/name}.
 */
public final class SecretSealing {
  private static final Logger log = LoggerFactory.getLogger(SecretSealing.class);
  /** The one data key of a sealed Secret (a valid Secret key, so the processor's rules accept it). */
  public static final String SEALED_KEY = "capstan.io.sealed";
  private static final Schema VALUES = Schema.createMap(Schema.create(Schema.Type.BYTES));

  static {
    TrustedModelClasses.install(); // copies of Secrets instantiate ObjectMeta by name
  }

  private SecretSealing() {}

  /** True when the Secret's data is an envelope. */
  public static boolean isSealed(Secret s) {
    Map<String, ByteBuffer> data = s.getData();
    return data != null && data.size() == 1 && s.getStringData() == null
        && data.get(SEALED_KEY) != null && Envelope.isEnvelope(bytes(data.get(SEALED_KEY)));
  }

  /** The name of the key the Secret's data is sealed with; empty when it is not sealed. */
  public static Optional<String> keyName(Secret s) {
    if (!isSealed(s)) {
      return Optional.empty();
    }
    try {
      return Optional.of(Envelope.keyName(bytes(s.getData().get(SEALED_KEY))));
    } catch (SealedDataException e) {
      return Optional.empty();
    }
  }

  /** A copy of {@code s} with its values sealed under the process's write key ({@link SecretKeys}). */
  public static Secret seal(Secret s) {
    return seal(s, SecretKeys.current());
  }

  /** A copy of {@code s} with its values sealed under {@code config}'s write key. */
  public static Secret seal(Secret s, EncryptionConfig config) {
    // sorted: the same values sealed twice give the same plaintext, and so the same fingerprint
    Map<String, ByteBuffer> values = new java.util.TreeMap<>();
    if (s.getData() != null) {
      s.getData().forEach((k, v) -> values.put(k, v == null ? ByteBuffer.allocate(0) : v.duplicate()));
    }
    if (s.getStringData() != null) {
      s.getStringData().forEach((k, v) -> values.put(k, ByteBuffer.wrap(
          (v == null ? "" : v).getBytes(StandardCharsets.UTF_8))));
    }
    Secret sealed = Secret.newBuilder(s).build();
    sealed.setStringData(null);
    if (values.isEmpty()) {
      sealed.setData(s.getData() == null && s.getStringData() == null ? null : Map.of());
      return sealed;
    }
    byte[] envelope = Envelope.seal(config, encode(values), context(s));
    Map<String, ByteBuffer> data = new LinkedHashMap<>();
    data.put(SEALED_KEY, ByteBuffer.wrap(envelope));
    sealed.setData(data);
    return sealed;
  }

  /**
   * An update that seals the values the object already holds keeps the stored ciphertext: each
   * sealing gives new ciphertext (a fresh data key), and without this every write of a Secret,
   * a label change too, would look like a change of its values (generation, audit, watches).
   * Both must be sealed under the same key with fingerprints ({@link Envelope#sameSealedValue});
   * then {@code updated}'s data is set to {@code stored}'s. Returns whether it was.
   */
  public static boolean keepStoredValuesIfSame(Secret stored, Secret updated) {
    if (!isSealed(stored) || !isSealed(updated)) {
      return false;
    }
    ByteBuffer was = stored.getData().get(SEALED_KEY);
    try {
      if (!Envelope.sameSealedValue(bytes(was), bytes(updated.getData().get(SEALED_KEY)))) {
        return false;
      }
    } catch (SealedDataException e) {
      return false; // malformed: the update's own validation speaks of it
    }
    Map<String, ByteBuffer> data = new LinkedHashMap<>();
    data.put(SEALED_KEY, was.duplicate());
    updated.setData(data);
    return true;
  }

  /** A copy of {@code s} with its data opened with the process's keys; a Secret that is not sealed as it is. */
  public static Secret open(Secret s) {
    return open(s, SecretKeys.current());
  }

  /**
   * A copy of {@code s} with its data opened with {@code config}'s keys; a Secret that is not
   * sealed (written before encryption) is returned as it is.
   *
   * @throws SealedDataException when its key is retired or unknown, or the envelope does not authenticate
   */
  public static Secret open(Secret s, EncryptionConfig config) {
    if (!isSealed(s)) {
      return s;
    }
    byte[] plaintext = Envelope.open(config, bytes(s.getData().get(SEALED_KEY)), context(s));
    Secret opened = Secret.newBuilder(s).build();
    opened.setData(decode(plaintext));
    return opened;
  }

  /**
   * {@code object} with a Secret's data opened; any other object as it is. A Secret that cannot
   * be opened is logged and returned sealed: readers see ciphertext, never a failure.
   */
  public static IndexedRecord openIfSecret(IndexedRecord object) {
    if (!(object instanceof Secret s) || !isSealed(s)) {
      return object;
    }
    try {
      return open(s);
    } catch (SealedDataException e) {
      log.warn("Secret {}/{}: {}", namespace(s), name(s), e.getMessage());
      return object;
    }
  }

  /** {@code object} with a Secret's values sealed when they are not yet; any other object as it is. */
  public static IndexedRecord sealIfSecret(IndexedRecord object) {
    if (!(object instanceof Secret s) || isSealed(s) || (s.getData() == null && s.getStringData() == null)) {
      return object;
    }
    return seal(s);
  }

  /** The annotation that says, in replay and audit output, what the values of a Secret shown without them are. */
  public static final String ENCRYPTION_ANNOTATION = "capstan.io/encryption";

  /**
   * A copy of a sealed Secret without its values, for output that must never show them (audit) or
   * cannot (replay after a key was retired): {@code data} is dropped and the annotation
   * {@value #ENCRYPTION_ANNOTATION} says why, e.g. "encrypted with retired key key-1".
   */
  public static Secret withoutValues(Secret s, String why) {
    Secret out = Secret.newBuilder(s).build();
    out.setData(null);
    out.setStringData(null);
    if (out.getMetadata() != null) {
      Map<String, String> annotations = out.getMetadata().getAnnotations() == null ? new LinkedHashMap<>()
          : new LinkedHashMap<>(out.getMetadata().getAnnotations());
      annotations.put(ENCRYPTION_ANNOTATION, why);
      out.getMetadata().setAnnotations(annotations);
    }
    return out;
  }

  /**
   * What can be said of a sealed Secret's values with the keys at hand, without opening them:
   * "encrypted with key key-2", "encrypted with retired key key-1" or "encrypted with key key-1,
   * which the encryption configuration does not have".
   */
  public static String describe(Secret s, Optional<EncryptionConfig> config) {
    Optional<String> key = keyName(s);
    if (key.isEmpty()) {
      return isSealed(s) ? "encrypted (the envelope names no key)" : "not encrypted";
    }
    String k = key.get();
    if (config.isPresent() && config.get().isRetired(k)) {
      return "encrypted with retired key " + k;
    }
    if (config.isPresent() && config.get().key(k).isEmpty()) {
      return "encrypted with key " + k + ", which the encryption configuration does not have";
    }
    return "encrypted with key " + k;
  }

  private static byte[] context(Secret s) {
    return ("Secret/" + namespace(s) + "/" + name(s)).getBytes(StandardCharsets.UTF_8);
  }

  private static String namespace(Secret s) {
    ObjectMeta m = s.getMetadata();
    return m == null || m.getNamespace() == null ? "" : m.getNamespace();
  }

  private static String name(Secret s) {
    ObjectMeta m = s.getMetadata();
    return m == null || m.getName() == null ? "" : m.getName();
  }

  private static byte[] encode(Map<String, ByteBuffer> values) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
    try {
      new GenericDatumWriter<Map<String, ByteBuffer>>(VALUES).write(values, enc);
      enc.flush();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out.toByteArray();
  }

  private static Map<String, ByteBuffer> decode(byte[] plaintext) {
    try {
      Map<?, ?> raw = new GenericDatumReader<Map<?, ?>>(VALUES)
          .read(null, DecoderFactory.get().binaryDecoder(plaintext, null));
      Map<String, ByteBuffer> out = new LinkedHashMap<>();
      raw.forEach((k, v) -> out.put(k.toString(), (ByteBuffer) v));
      return out;
    } catch (IOException e) {
      throw new SealedDataException(SealedDataException.Reason.MALFORMED, null,
          "sealed data opened but is not a map of values: " + e.getMessage());
    }
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }
}
