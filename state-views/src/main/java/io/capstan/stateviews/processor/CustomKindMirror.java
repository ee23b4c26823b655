package io.capstan.stateviews.processor;

import io.capstan.api.CustomResourceDefinition;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.codec.MalformedRecordException;
import io.capstan.logschema.crd.CustomResourceDefinitions;
import io.capstan.logschema.kinds.ObjectKey;
import io.capstan.logschema.topics.ObjectPartitioner;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a copy of the CustomResourceDefinition table in every processor instance (a global
 * store, as {@link NamespaceMirror}) and keeps the kind registry in step with it: an established
 * definition's kind is registered, a removed definition's kind leaves. So a command for a custom
 * object is understood on every partition, whichever partition its definition lives on.
 */
final class CustomKindMirror implements Processor<String, byte[], Void, Void> {
  private static final Logger log = LoggerFactory.getLogger(CustomKindMirror.class);
  private final String storeName;
  private final LogCodec codec = LogCodec.get();
  private KeyValueStore<String, byte[]> store;

  CustomKindMirror(String storeName) {
    this.storeName = storeName;
  }

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    store = context.getStateStore(storeName);
    // A restored store was filled without this processor: register what it holds.
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
  public void process(Record<String, byte[]> record) {
    if (record.key() == null || ObjectPartitioner.isWatermarkKey(record.key())) {
      return;
    }
    if (record.value() == null) {
      store.delete(record.key());
      unregister(record.key());
    } else {
      store.put(record.key(), record.value());
      follow(record.key(), record.value());
    }
  }

  private void follow(String key, byte[] value) {
    try {
      if (codec.decode(value) instanceof CustomResourceDefinition crd) {
        DefinitionEstablisher.register(crd);
      }
    } catch (MalformedRecordException e) {
      log.warn("skipping the definition at {}: {}", key, e.getMessage());
    }
  }

  private static void unregister(String key) {
    CustomResourceDefinitions.unfollow(ObjectKey.parse(key).name());
  }
}
