package io.capstan.stateviews.processor;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Keeps a copy of the Namespace state table in every processor instance (a global store), so a
 * create on any partition can check that its namespace exists and is not terminating. Records
 * are kept as they are on the topic, exactly as Kafka Streams restores a global store. The
 * ResourceQuota table is mirrored the same way, so a create on any partition knows which quotas
 * cover it.
 */
final class NamespaceMirror implements Processor<String, byte[], Void, Void> {
  private final String storeName;
  private KeyValueStore<String, byte[]> store;

  NamespaceMirror(String storeName) {
    this.storeName = storeName;
  }

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    store = context.getStateStore(storeName);
  }

  @Override
  public void process(Record<String, byte[]> record) {
    if (record.key() == null) {
      return;
    }
    if (record.value() == null) {
      store.delete(record.key());
    } else {
      store.put(record.key(), record.value());
    }
  }
}
