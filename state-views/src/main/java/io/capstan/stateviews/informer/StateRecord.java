package io.capstan.stateviews.informer;

import io.capstan.log.Watermark;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.codec.MalformedRecordException;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.secrets.SecretSealing;
import io.capstan.logschema.topics.ObjectPartitioner;
import java.nio.charset.StandardCharsets;
import org.apache.avro.generic.IndexedRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * One record of a state topic ({@code capstan.state.<kind>}) as the contract defines it: the
 * current object of a key, a tombstone, or a partition's watermark.
 */
public sealed interface StateRecord
    permits StateRecord.ObjectStored, StateRecord.ObjectRemoved, StateRecord.WatermarkReached {

  /** Header on every state record: the resourceVersion, as a decimal UTF-8 string. */
  String RV_HEADER = "capstan.rv";

  /** The object of {@code key} is now {@code object}, written at {@code resourceVersion}. */
  record ObjectStored(String key, IndexedRecord object, long resourceVersion) implements StateRecord {}

  /** The object of {@code key} was removed at {@code resourceVersion} (a tombstone). */
  record ObjectRemoved(String key, long resourceVersion) implements StateRecord {}

  /** No later record on {@code partition} carries an rv &lt;= {@code resourceVersion}. */
  record WatermarkReached(int partition, long resourceVersion, long timeMicros) implements StateRecord {}

  /**
   * Reads a record of {@code kind}'s state topic.
   *
   * @throws MalformedRecordException saying what is wrong: no key, a key of another kind, a missing
   *     or unreadable {@value #RV_HEADER} header, an undecodable value or one of another kind, a
   *     watermark on the wrong partition
   */
  static StateRecord decode(Kind kind, ConsumerRecord<byte[], byte[]> r) {
    if (r.key() == null) {
      throw new MalformedRecordException("record without a key");
    }
    String key = new String(r.key(), StandardCharsets.UTF_8);
    if (ObjectPartitioner.isWatermarkKey(key)) {
      if (r.value() == null) {
        throw new MalformedRecordException("watermark key " + key + " without a value");
      }
      Watermark w = LogCodec.get().decode(r.value(), Watermark.class);
      if (w.getPartition() != r.partition()) {
        throw new MalformedRecordException("watermark of partition " + w.getPartition() + " on partition " + r.partition());
      }
      return new WatermarkReached(r.partition(), w.getResourceVersion(), w.getTimeMicros());
    }
    if (!isKeyOf(kind, key)) {
      throw new MalformedRecordException("key \"" + key + "\" is not a " + kind.kind() + " object key (" + kind.kind()
          + "/namespace/name)");
    }
    long rv = resourceVersion(r);
    if (r.value() == null) {
      return new ObjectRemoved(key, rv);
    }
    IndexedRecord object = LogCodec.get().decode(r.value());
    if (!object.getSchema().getFullName().equals(kind.schema().getFullName())) {
      throw new MalformedRecordException("value of " + key + " is a " + object.getSchema().getFullName()
          + ", not a " + kind.schema().getFullName());
    }
    // Readers get a Secret's values: the state topic holds them sealed (see SecretSealing).
    return new ObjectStored(key, SecretSealing.openIfSecret(object), rv);
  }

  private static boolean isKeyOf(Kind kind, String key) {
    String k = kind.kind();
    if (!key.startsWith(k) || key.length() <= k.length() + 1 || key.charAt(k.length()) != '/') {
      return false;
    }
    int slash = key.indexOf('/', k.length() + 1);
    return slash > 0 && slash < key.length() - 1 && key.indexOf('/', slash + 1) < 0;
  }

  private static long resourceVersion(ConsumerRecord<byte[], byte[]> r) {
    Header h = r.headers().lastHeader(RV_HEADER);
    if (h == null || h.value() == null) {
      throw new MalformedRecordException("no " + RV_HEADER + " header");
    }
    String s = new String(h.value(), StandardCharsets.UTF_8);
    try {
      long rv = Long.parseLong(s);
      if (rv <= 0) {
        throw new MalformedRecordException(RV_HEADER + " header is not positive: \"" + s + "\"");
      }
      return rv;
    } catch (NumberFormatException e) {
      throw new MalformedRecordException(RV_HEADER + " header is not a decimal number: \"" + s + "\"");
    }
  }
}
