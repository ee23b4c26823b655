package io.capstan.gateway.store;

import io.capstan.api.ObjectMeta;
import io.capstan.gateway.errors.ApiException;
import io.capstan.gateway.errors.ApiStatus;
import io.capstan.gateway.paging.ContinueToken;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.ObjectKey;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * TEST DOUBLE: a {@link ResourceStore} in one JVM's memory, for the gateway's own tests until
 * the Kafka-backed store (command client + watch cache) lands. It imitates the command
 * processor's server-set metadata (uid, creationTimestamp, generation, a growing
 * resourceVersion) and its resourceVersion precondition, and nothing more: no finalizers, no
 * grace periods, no watch history (a watch from an old version gets 410 Gone).
 */
public final class InMemoryResourceStore implements ResourceStore {
  private final TreeMap<String, StoredObject> objects = new TreeMap<>();
  private final List<Watcher> watchers = new CopyOnWriteArrayList<>();
  private long lastRv = 0;

  private record Watcher(Kind kind, WatchOptions options, Consumer<WatchEvent> sink) {}

  private static String key(Kind kind, String namespace, String name) {
    return new ObjectKey(kind.kind(), kind.namespaced() ? namespace : "", name).toString();
  }

  @Override
  public synchronized CompletionStage<StoredObject> get(Kind kind, String namespace, String name) {
    StoredObject s = objects.get(key(kind, namespace, name));
    return s == null ? failed(ApiStatus.notFound(kind.group(), kind.plural(), name)) : done(copy(s));
  }

  @Override
  public synchronized CompletionStage<ListResult> list(Kind kind, ListOptions options) {
    long rv = options.continueFrom() != null ? options.continueFrom().resourceVersion() : lastRv;
    String prefix = kind.kind() + "/" + (options.namespace() == null ? "" : options.namespace() + "/");
    String from = options.continueFrom() != null ? options.continueFrom().startAfter() : prefix;
    List<StoredObject> matching = new ArrayList<>();
    for (Map.Entry<String, StoredObject> e : objects.tailMap(from, options.continueFrom() == null).entrySet()) {
      if (!e.getKey().startsWith(kind.kind() + "/")) {
        break;
      }
      if (!e.getKey().startsWith(prefix) || !matches(e.getValue(), options.labels(), options.fields())) {
        continue;
      }
      matching.add(e.getValue());
    }
    if (options.limit() > 0 && matching.size() > options.limit()) {
      List<StoredObject> page = matching.subList(0, (int) options.limit());
      StoredObject last = page.get(page.size() - 1);
      ObjectMeta meta = meta(last.object());
      String token = new ContinueToken(rv, key(kind, meta.getNamespace(), meta.getName())).encode();
      return done(new ListResult(page.stream().map(InMemoryResourceStore::copy).toList(), rv, token,
          (long) (matching.size() - page.size())));
    }
    return done(new ListResult(matching.stream().map(InMemoryResourceStore::copy).toList(), rv, null, null));
  }

  private static boolean matches(StoredObject s, io.capstan.gateway.selection.LabelSelector labels,
      io.capstan.gateway.selection.FieldSelector fields) {
    return labels.matches(meta(s.object()).getLabels())
        && (fields.isEverything() || fields.matches(KubeJson.toJson(s.object())));
  }

  @Override
  public synchronized CompletionStage<StoredObject> create(Kind kind, SpecificRecord object, WriteOptions options) {
    SpecificRecord o = SpecificData.get().deepCopy(object.getSchema(), object);
    ObjectMeta meta = meta(o);
    String key = key(kind, meta.getNamespace(), meta.getName());
    if (objects.containsKey(key)) {
      return failed(ApiStatus.alreadyExists(kind.group(), kind.plural(), meta.getName()));
    }
    long rv = options.dryRun() ? lastRv : ++lastRv;
    meta.setUid(UUID.randomUUID().toString());
    meta.setCreationTimestamp(Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    meta.setGeneration(1L);
    meta.setResourceVersion(Long.toString(rv));
    StoredObject stored = new StoredObject(o, rv);
    if (!options.dryRun()) {
      objects.put(key, stored);
      notify(kind, new WatchEvent.Added(stored));
    }
    return done(copy(stored));
  }

  @Override
  public CompletionStage<StoredObject> update(Kind kind, SpecificRecord object, WriteOptions options) {
    return replace(kind, object, options);
  }

  @Override
  public CompletionStage<StoredObject> updateStatus(Kind kind, SpecificRecord object, WriteOptions options) {
    return replace(kind, object, options);
  }

  private synchronized CompletionStage<StoredObject> replace(Kind kind, SpecificRecord object, WriteOptions options) {
    SpecificRecord o = SpecificData.get().deepCopy(object.getSchema(), object);
    ObjectMeta meta = meta(o);
    String key = key(kind, meta.getNamespace(), meta.getName());
    StoredObject current = objects.get(key);
    if (current == null) {
      return failed(ApiStatus.notFound(kind.group(), kind.plural(), meta.getName()));
    }
    if (meta.getResourceVersion() != null && !meta.getResourceVersion().equals(Long.toString(current.resourceVersion()))) {
      return failed(ApiStatus.conflict(kind.group(), kind.plural(), meta.getName(),
          "the object has been modified; please apply your changes to the latest version and try again"));
    }
    ObjectMeta old = meta(current.object());
    long rv = options.dryRun() ? current.resourceVersion() : ++lastRv;
    meta.setUid(old.getUid());
    meta.setCreationTimestamp(old.getCreationTimestamp());
    meta.setGeneration(old.getGeneration());
    meta.setResourceVersion(Long.toString(rv));
    StoredObject stored = new StoredObject(o, rv);
    if (!options.dryRun()) {
      objects.put(key, stored);
      notify(kind, new WatchEvent.Modified(stored));
    }
    return done(copy(stored));
  }

  @Override
  public synchronized CompletionStage<StoredObject> delete(Kind kind, String namespace, String name,
      DeleteRequest options) {
    String key = key(kind, namespace, name);
    StoredObject current = objects.get(key);
    if (current == null) {
      return failed(ApiStatus.notFound(kind.group(), kind.plural(), name));
    }
    ObjectMeta meta = meta(current.object());
    if ((options.preconditionUid() != null && !options.preconditionUid().equals(meta.getUid()))
        || (options.preconditionResourceVersion() != null
            && !options.preconditionResourceVersion().equals(meta.getResourceVersion()))) {
      return failed(ApiStatus.conflict(kind.group(), kind.plural(), name, "Precondition failed"));
    }
    if (!options.dryRun()) {
      objects.remove(key);
      long rv = ++lastRv;
      notify(kind, new WatchEvent.Deleted(new StoredObject(current.object(), rv)));
    }
    return done(copy(current));
  }

  @Override
  public synchronized WatchHandle watch(Kind kind, WatchOptions options, Consumer<WatchEvent> sink) {
    String from = options.resourceVersion();
    if (from != null && !from.isEmpty() && !from.equals("0") && Long.parseLong(from) < lastRv) {
      sink.accept(new WatchEvent.Error(ApiStatus.gone("too old resource version: " + from + " (" + lastRv + ")")));
      return () -> { };
    }
    if (options.sendInitialEvents()) {
      list(kind, new ListOptions(options.namespace(), options.labels(), options.fields(), 0, null, null, null))
          .thenAccept(l -> l.items().forEach(s -> sink.accept(new WatchEvent.Added(s))));
      sink.accept(new WatchEvent.Bookmark(lastRv, true));
    }
    Watcher w = new Watcher(kind, options, sink);
    watchers.add(w);
    return () -> watchers.remove(w);
  }

  private void notify(Kind kind, WatchEvent event) {
    for (Watcher w : watchers) {
      if (w.kind() != kind) {
        continue;
      }
      StoredObject s = event instanceof WatchEvent.Added a ? a.object()
          : event instanceof WatchEvent.Modified m ? m.object()
          : event instanceof WatchEvent.Deleted d ? d.object() : null;
      if (s != null) {
        ObjectMeta meta = meta(s.object());
        if (w.options().namespace() != null && !Objects.equals(w.options().namespace(), meta.getNamespace())) {
          continue;
        }
        if (!matches(s, w.options().labels(), w.options().fields())) {
          continue;
        }
      }
      w.sink().accept(event);
    }
  }

  private static ObjectMeta meta(SpecificRecord o) {
    return (ObjectMeta) o.get(o.getSchema().getField("metadata").pos());
  }

  private static StoredObject copy(StoredObject s) {
    return new StoredObject(SpecificData.get().deepCopy(s.object().getSchema(), s.object()), s.resourceVersion());
  }

  private static <T> CompletionStage<T> done(T value) {
    return CompletableFuture.completedFuture(value);
  }

  private static <T> CompletionStage<T> failed(ApiStatus status) {
    return CompletableFuture.failedFuture(new ApiException(status));
  }
}
