package io.capstan.stateviews.processor;

import io.capstan.api.PriorityClass;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.codec.MalformedRecordException;
import io.capstan.logschema.kinds.ObjectKey;
import io.capstan.logschema.topics.ObjectPartitioner;
import io.capstan.stateviews.processor.rules.PriorityClassLookup;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a copy of the PriorityClass table in every processor instance (a global store, as
 * {@link NamespaceMirror}) and the decoded classes in {@link Classes}, which pod admission on
 * any partition reads: the Priority admission plugin's lister. A new class reaches the other
 * partitions after the global store has read it, as a lister lags its informer.
 */
final class PriorityClassMirror implements Processor<String, byte[], Void, Void> {
  private static final Logger log = LoggerFactory.getLogger(PriorityClassMirror.class);
  private final String storeName;
  private final Classes classes;
  private final LogCodec codec = LogCodec.get();
  private KeyValueStore<String, byte[]> store;

  /** The decoded classes by name, shared by the mirror (writer) and the stream threads (readers). */
  static final class Classes implements PriorityClassLookup {
    private final Map<String, PriorityClass> byName = new ConcurrentHashMap<>();

    @Override
    public Optional<PriorityClass> find(String name) {
      return Optional.ofNullable(byName.get(name));
    }

    @Override
    public Collection<PriorityClass> all() {
      return List.copyOf(byName.values());
    }
  }

  PriorityClassMirror(String storeName, Classes classes) {
    this.storeName = storeName;
    this.classes = classes;
  }

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    store = context.getStateStore(storeName);
    // A restored store was filled without this processor: decode what it holds.
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
      classes.byName.remove(ObjectKey.parse(record.key()).name());
    } else {
      store.put(record.key(), record.value());
      follow(record.key(), record.value());
    }
  }

  private void follow(String key, byte[] value) {
    try {
      if (codec.decode(value) instanceof PriorityClass pc) {
        classes.byName.put(pc.getMetadata().getName(), pc);
      }
    } catch (MalformedRecordException e) {
      log.warn("skipping the priority class at {}: {}", key, e.getMessage());
    }
  }
}
