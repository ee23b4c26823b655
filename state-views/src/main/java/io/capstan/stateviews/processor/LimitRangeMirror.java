package io.capstan.stateviews.processor;

import io.capstan.api.LimitRange;
import io.capstan.logschema.kinds.ObjectKey;
import io.capstan.stateviews.processor.rules.LimitRangeLookup;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import org.apache.avro.generic.IndexedRecord;

/**
 * Keeps a copy of the LimitRange table in every processor instance (a global store, as
 * {@link NamedMirror}) and the decoded LimitRanges by namespace in {@link Ranges}, which
 * pod admission on any partition reads: the LimitRanger admission plugin's lister. A new
 * LimitRange reaches the other partitions after the global store has read it, as a lister lags
 * its informer.
 */
final class LimitRangeMirror extends DecodingMirror {
  private final Ranges ranges;

  /** The decoded LimitRanges by namespace, then name; written by the mirror, read by the stream threads. */
  static final class Ranges implements LimitRangeLookup {
    private final Map<String, Map<String, LimitRange>> byNamespace = new ConcurrentHashMap<>();

    @Override
    public List<LimitRange> inNamespace(String namespace) {
      Map<String, LimitRange> named = namespace == null ? null : byNamespace.get(namespace);
      return named == null ? List.of() : List.copyOf(named.values());
    }
  }

  LimitRangeMirror(String storeName, Ranges ranges) {
    super(storeName, "limit range");
    this.ranges = ranges;
  }

  @Override
  void followed(String key, IndexedRecord object) {
    if (object instanceof LimitRange lr) {
      ranges.byNamespace.computeIfAbsent(lr.getMetadata().getNamespace(), ns -> new ConcurrentSkipListMap<>())
          .put(lr.getMetadata().getName(), lr);
    }
  }

  @Override
  void forgotten(String key) {
    ObjectKey k = ObjectKey.parse(key);
    Map<String, LimitRange> named = ranges.byNamespace.get(k.namespace());
    if (named != null) {
      named.remove(k.name());
    }
  }
}
