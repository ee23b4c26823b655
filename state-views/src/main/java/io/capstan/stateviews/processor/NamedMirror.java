package io.capstan.stateviews.processor;

import io.capstan.logschema.kinds.ObjectKey;
import io.capstan.stateviews.processor.rules.NamedLookup;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.generic.IndexedRecord;

/**
 * Keeps a copy of a cluster-scoped kind's table in every processor instance (a global store, as
 * {@link NamespaceMirror}) and the decoded objects by name in {@link ByName}, which admission on any
 * partition reads: the PriorityClasses of the Priority plugin, the StorageClasses of
 * DefaultStorageClass. A new object reaches the other partitions after the global store has read
 * it, as a lister lags its informer.
 */
final class NamedMirror<T> extends DecodingMirror {
  private final ByName<T> objects;

  /** The decoded objects by name, shared by the mirror (writer) and the stream threads (readers). */
  static final class ByName<T> implements NamedLookup<T> {
    private final Class<T> type;
    private final Map<String, T> byName = new ConcurrentHashMap<>();

    ByName(Class<T> type) {
      this.type = type;
    }

    @Override
    public Optional<T> find(String name) {
      return Optional.ofNullable(byName.get(name));
    }

    @Override
    public Collection<T> all() {
      return List.copyOf(byName.values());
    }
  }

  NamedMirror(String storeName, String what, ByName<T> objects) {
    super(storeName, what);
    this.objects = objects;
  }

  @Override
  void followed(String key, IndexedRecord object) {
    if (objects.type.isInstance(object)) {
      objects.byName.put(ObjectKey.parse(key).name(), objects.type.cast(object));
    }
  }

  @Override
  void forgotten(String key) {
    objects.byName.remove(ObjectKey.parse(key).name());
  }
}
