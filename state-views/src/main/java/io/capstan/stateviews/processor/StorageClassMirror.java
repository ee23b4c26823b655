package io.capstan.stateviews.processor;

import io.capstan.api.StorageClass;
import io.capstan.logschema.kinds.ObjectKey;
import io.capstan.stateviews.processor.rules.StorageClassLookup;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.generic.IndexedRecord;

/**
 * Keeps a copy of the StorageClass table in every processor instance (a global store, as
 * {@link PriorityClassMirror}) and the decoded classes in {@link Classes}, which claim admission on
 * any partition reads: the DefaultStorageClass plugin's lister.
 */
final class StorageClassMirror extends DecodingMirror {
  private final Classes classes;

  /** The decoded classes by name, shared by the mirror (writer) and the stream threads (readers). */
  static final class Classes implements StorageClassLookup {
    private final Map<String, StorageClass> byName = new ConcurrentHashMap<>();

    @Override
    public Optional<StorageClass> find(String name) {
      return Optional.ofNullable(byName.get(name));
    }

    @Override
    public Collection<StorageClass> all() {
      return List.copyOf(byName.values());
    }
  }

  StorageClassMirror(String storeName, Classes classes) {
    super(storeName, "storage class");
    this.classes = classes;
  }

  @Override
  void followed(String key, IndexedRecord object) {
    if (object instanceof StorageClass sc) {
      classes.byName.put(sc.getMetadata().getName(), sc);
    }
  }

  @Override
  void forgotten(String key) {
    classes.byName.remove(ObjectKey.parse(key).name());
  }
}
