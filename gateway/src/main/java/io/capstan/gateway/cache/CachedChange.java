package io.capstan.gateway.cache;

import io.capstan.gateway.store.StoredObject;
import io.capstan.stateviews.informer.ChangeType;
import org.apache.avro.generic.IndexedRecord;

/**
 * One change in the watch cache's window.
 *
 * @param object   the object after the change; for DELETED its last state carrying the delete's
 *                 resourceVersion, as a Kubernetes watch delivers it
 * @param previous the object before the change; null for ADDED
 * @param seq      the order the cache applied it in (across partitions)
 * @param stored   {@code object} at {@code resourceVersion}, one instance for every watcher, so
 *                 the change is serialized once however many watches send it
 */
public record CachedChange(ChangeType type, String key, IndexedRecord object, IndexedRecord previous,
    long resourceVersion, int partition, long seq, StoredObject stored) {
  public CachedChange(ChangeType type, String key, IndexedRecord object, IndexedRecord previous, long resourceVersion,
      int partition, long seq) {
    this(type, key, object, previous, resourceVersion, partition, seq,
        object == null ? null : new StoredObject(object, resourceVersion));
  }
}
