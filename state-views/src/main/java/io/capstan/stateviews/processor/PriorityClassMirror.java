package io.capstan.stateviews.processor;

import io.capstan.api.PriorityClass;
import io.capstan.logschema.kinds.ObjectKey;
import io.capstan.stateviews.processor.rules.PriorityClassLookup;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.generic.IndexedRecord;

/**
 * Keeps a copy of the PriorityClass table in every processor instance (a global store, as
 * {@link NamespaceMirror}) and the decoded classes in {@link Classes}, which pod admission on
 * any partition reads: the Priority admission plugin's lister. A new class reaches the other
 * partitions after the global store has read it, as a lister lags its informer.
 */
final class PriorityClassMirror extends DecodingMirror {
  private final Classes classes;

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
    super(storeName, "priority class");
    this.classes = classes;
  }

  @Override
  void followed(String key, IndexedRecord object) {
    if (object instanceof PriorityClass pc) {
      classes.byName.put(pc.getMetadata().getName(), pc);
    }
  }

  @Override
  void forgotten(String key) {
    classes.byName.remove(ObjectKey.parse(key).name());
  }
}
