package io.capstan.stateviews.replay;

import io.capstan.logschema.codec.LogCodec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import org.apache.avro.generic.IndexedRecord;

/**
 * A set of objects by key, and its digest: SHA-256 over the keys in order, each followed by
 * the object re-encoded with its current schema. Re-encoding makes the digest independent of
 * which schema version wrote a record; sorting makes it independent of partition count and of
 * the order partitions were read in.
 */
public final class StateDigest {
  private final TreeMap<String, byte[]> objects = new TreeMap<>();
  private final LogCodec codec;

  /** With the process-wide codec. */
  public StateDigest() {
    this(LogCodec.get());
  }

  /** Decoding and re-encoding with this codec (whose current schemas the digest is made in). */
  public StateDigest(LogCodec codec) {
    this.codec = codec;
  }

  /**
   * Stores the object under its key, canonicalised (decoded and re-encoded); a record that cannot
   * be decoded is a {@code MalformedRecordException} and nothing is stored.
   */
  public void put(String key, byte[] encodedObject) {
    IndexedRecord object = codec.decode(encodedObject);
    objects.put(key, codec.encode(object));
  }

  public void remove(String key) {
    objects.remove(key);
  }

  public int size() {
    return objects.size();
  }

  public Map<String, byte[]> objects() {
    return java.util.Collections.unmodifiableMap(objects);
  }

  public String hex() {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (Map.Entry<String, byte[]> e : objects.entrySet()) {
        byte[] k = e.getKey().getBytes(StandardCharsets.UTF_8);
        sha.update(intBytes(k.length));
        sha.update(k);
        sha.update(intBytes(e.getValue().length));
        sha.update(e.getValue());
      }
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from this JVM", e);
    }
  }

  private static byte[] intBytes(int v) {
    return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
  }
}
