package io.capstan.stateviews.processor;

import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.codec.MalformedRecordException;
import io.capstan.logschema.topics.ObjectPartitioner;
import org.apache.avro.generic.IndexedRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A global store's processor (as {@link NamespaceMirror}) that also keeps something in step with
 * the decoded objects: every object the store holds at start and every later write is
 * {@link #followed}, every deletion {@link #forgotten}. A restored store is filled without the
 * processor, so {@link #init} follows what it holds. A record that does not decode is skipped
 * with a warning naming {@code what} it should have been.
 */
abstract class DecodingMirror implements Processor<String, byte[], Void, Void> {
  private static final Logger log = LoggerFactory.getLogger(DecodingMirror.class);
  private final String storeName;
  private final String what;
  private final LogCodec codec = LogCodec.get();
  private KeyValueStore<String, byte[]> store;

  DecodingMirror(String storeName, String what) {
    this.storeName = storeName;
    this.what = what;
  }

  /** An object of the table was read (at start or written since). */
  abstract void followed(String key, IndexedRecord object);

  /** The object at {@code key} was deleted. */
  abstract void forgotten(String key);

  @Override
  public final void init(ProcessorContext<Void, Void> context) {
    store = context.getStateStore(storeName);
    try (KeyValueIterator<String, byte[]> it = store.all()) {
      while (it.hasNext()) {
        var kv = it.next();
        if (kv.value != null && !ObjectPartitioner.isWatermarkKey(kv.key)) {
          follow(kv.key, kv.value);
        }
      }
    }
  }

  @Override
  public final void process(Record<String, byte[]> record) {
    if (record.key() == null || ObjectPartitioner.isWatermarkKey(record.key())) {
      return;
    }
    if (record.value() == null) {
      store.delete(record.key());
      forgotten(record.key());
    } else {
      store.put(record.key(), record.value());
      follow(record.key(), record.value());
    }
  }

  private void follow(String key, byte[] value) {
    try {
      followed(key, codec.decode(value));
    } catch (MalformedRecordException e) {
      log.warn("skipping the {} at {}: {}", what, key, e.getMessage());
    }
  }
}
