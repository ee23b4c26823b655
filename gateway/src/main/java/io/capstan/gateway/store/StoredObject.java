package io.capstan.gateway.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.capstan.logschema.json.KubeJson;
import org.apache.avro.generic.IndexedRecord;

/**
 * An object as stored, with the resourceVersion of its last write (also in its metadata), and
 * its JSON rendered on first use and kept. Reads share instances: the watch cache hands every
 * watcher of a change the same one, and gets and lists of an unchanged object the same one, so
 * an object version is serialized once however many clients read it (kube-apiserver's watch
 * cache does the same with its {@code cachingObject}). The object is therefore never changed by
 * whoever holds it: copy it first.
 */
public final class StoredObject {
  private final IndexedRecord object;
  private final long resourceVersion;
  private volatile byte[] json;

  public StoredObject(IndexedRecord object, long resourceVersion) {
    this.object = object;
    this.resourceVersion = resourceVersion;
  }

  /** The object; shared, never to be changed. */
  public IndexedRecord object() {
    return object;
  }

  public long resourceVersion() {
    return resourceVersion;
  }

  /** The object as Kubernetes JSON (UTF-8), rendered once; the array is shared, never to be changed. */
  public byte[] json() {
    byte[] j = json;
    if (j == null) {
      try {
        j = KubeJson.jsonMapper().writeValueAsBytes(KubeJson.toJson(object));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("serializing a JSON tree cannot fail", e);
      }
      json = j; // two threads may both render it: the same bytes either way
    }
    return j;
  }

  /** Whether the JSON has been rendered already (it then costs nothing to use). */
  public boolean rendered() {
    return json != null;
  }

  @Override
  public String toString() {
    return "StoredObject[rv=" + resourceVersion + ", " + object.getSchema().getName() + "]";
  }
}
