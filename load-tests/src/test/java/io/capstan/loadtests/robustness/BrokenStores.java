package io.capstan.loadtests.robustness;

import io.capstan.api.ObjectMeta;
import io.capstan.gateway.store.DeleteRequest;
import io.capstan.gateway.store.ListOptions;
import io.capstan.gateway.store.ListResult;
import io.capstan.gateway.store.ResourceStore;
import io.capstan.gateway.store.StoredObject;
import io.capstan.gateway.store.WatchEvent;
import io.capstan.gateway.store.WatchHandle;
import io.capstan.gateway.store.WatchOptions;
import io.capstan.gateway.store.WriteOptions;
import io.capstan.logschema.kinds.Kind;
import io.capstan.stateviews.audit.AuditEntry;
import io.capstan.stateviews.audit.AuditQuery;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificData;

/**
 * Deliberately broken gateway stores, for tests only: a checker that cannot catch them proves
 * nothing. Each passes everything to the real store but for the one thing it breaks, and only
 * for the robustness run's ConfigMaps.
 */
final class BrokenStores {
  private BrokenStores() {
  }

  private static final String ANY_RUN = "robustness-";

  private static boolean target(Kind kind, String namespace, String prefix) {
    return kind.kind().equals("ConfigMap") && namespace != null && namespace.startsWith(prefix);
  }

  /** Answers every {@code every}-th update (PUT or patch) as done, with a new version, and never sends it. */
  static ResourceStore droppingWrites(ResourceStore real, int every) {
    return droppingWrites(real, every, ANY_RUN);
  }

  /** As {@link #droppingWrites(ResourceStore, int)}, only in namespaces starting with {@code prefix} (one run's). */
  static ResourceStore droppingWrites(ResourceStore real, int every, String prefix) {
    AtomicLong updates = new AtomicLong();
    AtomicLong clock = new AtomicLong();
    return new Forwarding(real) {
      @Override
      public CompletionStage<StoredObject> update(Kind kind, IndexedRecord object, WriteOptions options) {
        ObjectMeta meta = (ObjectMeta) object.get(object.getSchema().getField("metadata").pos());
        if (target(kind, meta.getNamespace(), prefix) && updates.incrementAndGet() % every == 0) {
          IndexedRecord copy = (IndexedRecord) SpecificData.get().deepCopy(object.getSchema(), object);
          long rv = clock.updateAndGet(last -> Math.max(last + 1, System.currentTimeMillis() * 1000));
          ((ObjectMeta) copy.get(copy.getSchema().getField("metadata").pos())).setResourceVersion(Long.toString(rv));
          return CompletableFuture.completedFuture(new StoredObject(copy, rv));
        }
        return super.update(kind, object, options);
      }
    };
  }

  /** Serves every {@code every}-th get of an object from the first answer it gave for it. */
  static ResourceStore staleReads(ResourceStore real, int every) {
    return staleReads(real, every, ANY_RUN);
  }

  /** As {@link #staleReads(ResourceStore, int)}, only in namespaces starting with {@code prefix} (one run's). */
  static ResourceStore staleReads(ResourceStore real, int every, String prefix) {
    Map<String, StoredObject> first = new ConcurrentHashMap<>();
    AtomicLong gets = new AtomicLong();
    return new Forwarding(real) {
      @Override
      public CompletionStage<StoredObject> get(Kind kind, String namespace, String name, String resourceVersion) {
        return super.get(kind, namespace, name, resourceVersion).thenApply(current -> {
          if (!target(kind, namespace, prefix)) {
            return current;
          }
          StoredObject old = first.putIfAbsent(namespace + "/" + name, current);
          return old != null && gets.incrementAndGet() % every == 0 ? old : current;
        });
      }
    };
  }

  /** Passes every call on. */
  static class Forwarding implements ResourceStore {
    private final ResourceStore real;

    Forwarding(ResourceStore real) {
      this.real = real;
    }

    @Override
    public CompletionStage<StoredObject> get(Kind kind, String namespace, String name) {
      return real.get(kind, namespace, name);
    }

    @Override
    public CompletionStage<StoredObject> get(Kind kind, String namespace, String name, String resourceVersion) {
      return real.get(kind, namespace, name, resourceVersion);
    }

    @Override
    public CompletionStage<ListResult> list(Kind kind, ListOptions options) {
      return real.list(kind, options);
    }

    @Override
    public CompletionStage<StoredObject> create(Kind kind, IndexedRecord object, WriteOptions options) {
      return real.create(kind, object, options);
    }

    @Override
    public CompletionStage<StoredObject> update(Kind kind, IndexedRecord object, WriteOptions options) {
      return real.update(kind, object, options);
    }

    @Override
    public CompletionStage<StoredObject> updateStatus(Kind kind, IndexedRecord object, WriteOptions options) {
      return real.updateStatus(kind, object, options);
    }

    @Override
    public CompletionStage<StoredObject> updateEphemeralContainers(IndexedRecord pod, WriteOptions options) {
      return real.updateEphemeralContainers(pod, options);
    }

    @Override
    public CompletionStage<StoredObject> delete(Kind kind, String namespace, String name, DeleteRequest options) {
      return real.delete(kind, namespace, name, options);
    }

    @Override
    public CompletionStage<StoredObject> bind(String namespace, String podName, String nodeName, WriteOptions options) {
      return real.bind(namespace, podName, nodeName, options);
    }

    @Override
    public WatchHandle watch(Kind kind, WatchOptions options, Consumer<WatchEvent> sink) {
      return real.watch(kind, options, sink);
    }

    @Override
    public CompletionStage<List<AuditEntry>> audit(AuditQuery query) {
      return real.audit(query);
    }

    @Override
    public CompletionStage<List<AuditEntry>> audit(AuditQuery query, boolean objects) {
      return real.audit(query, objects);
    }
  }
}
