package io.capstan.gateway.store;

import io.capstan.api.Namespace;
import io.capstan.api.ObjectMeta;
import io.capstan.api.OwnerReference;
import io.capstan.gateway.errors.ApiException;
import io.capstan.gateway.errors.ApiStatus;
import io.capstan.gateway.paging.ContinueToken;
import io.capstan.gateway.selection.FieldSelector;
import io.capstan.gateway.selection.LabelSelector;
import io.capstan.log.Command;
import io.capstan.log.CommandOp;
import io.capstan.log.DeleteOptions;
import io.capstan.log.ErrorStatus;
import io.capstan.log.EventOp;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.kinds.ObjectKey;
import io.capstan.stateviews.bootstrap.SystemNamespaces;
import io.capstan.stateviews.processor.rules.Outcome;
import io.capstan.stateviews.processor.rules.WriteRules;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificData;

/**
 * TEST DOUBLE: a {@link ResourceStore} in one JVM's memory, standing in for the Kafka-backed
 * store in the gateway's client tests. Every write is decided by the command processor's own
 * {@link WriteRules} (create-if-absent, resourceVersion and uid preconditions, generation bumped
 * on spec changes only, status kept by updates and replaced only through {@code /status},
 * finalizers, graceful pod deletion, NamespaceLifecycle, binding), so the gateway sees the same
 * answers it will get from the real backbone. One global, growing resourceVersion plays the
 * single-partition case of the consistency model.
 *
 * <p>Watches: the last {@value #HISTORY} changes (or as many as constructed with) are kept, as the gateway's watch cache keeps a
 * window; a watch from a version inside the window replays what followed it, an older one gets
 * 410 Gone. Selectors filter as the watch cache does: an object that stops matching arrives as
 * DELETED, one that starts matching as ADDED.
 *
 * <p>What a real cluster's garbage collector controller would do is done here in the same call,
 * so that deletes complete as kubectl waits for them: Background removes dependents (objects
 * whose ownerReferences name the deleted uid), Orphan strips those ownerReferences and then the
 * {@code orphan} finalizer, Foreground removes dependents and then the {@code foregroundDeletion}
 * finalizer. The system namespaces exist from the start.
 */
public final class InMemoryResourceStore implements ResourceStore {
  /** Changes kept for watch-from-resourceVersion by default. */
  public static final int HISTORY = 10_000;

  private final int historySize;

  private final TreeMap<String, StoredObject> objects = new TreeMap<>();
  private final Deque<Change> history = new ArrayDeque<>();
  private final List<Watcher> watchers = new CopyOnWriteArrayList<>();
  private final WriteRules rules = new WriteRules(this::namespace);
  private long lastRv = 0;
  /** Every change after this version is still in {@link #history}. */
  private long oldestResumableRv = 0;

  /** One stored change: {@code before} is null for a create, {@code after} null for a removal. */
  private record Change(Kind kind, long rv, IndexedRecord before, IndexedRecord after) {}

  private record Watcher(Kind kind, WatchOptions options, Consumer<WatchEvent> sink) {}

  public InMemoryResourceStore() {
    this(HISTORY);
  }

  /** A store that keeps only the last {@code historySize} changes for watches (small to test 410 Gone). */
  public InMemoryResourceStore(int historySize) {
    this.historySize = historySize;
    for (String name : SystemNamespaces.NAMES) {
      Namespace ns = Namespace.newBuilder().setMetadata(ObjectMeta.newBuilder().setName(name).build()).build();
      join(create(Kinds.NAMESPACE, ns, new WriteOptions("system:apiserver", false, null)));
    }
  }

  private static <T> T join(CompletionStage<T> stage) {
    return stage.toCompletableFuture().join();
  }

  private static String key(Kind kind, String namespace, String name) {
    return new ObjectKey(kind.kind(), kind.namespaced() ? namespace : "", name).toString();
  }

  private synchronized Optional<Namespace> namespace(String name) {
    StoredObject s = objects.get(key(Kinds.NAMESPACE, "", name));
    return s == null ? Optional.empty() : Optional.of((Namespace) s.object());
  }

  /** The highest resourceVersion written so far. */
  public synchronized long resourceVersion() {
    return lastRv;
  }

  // ---- reads ----

  @Override
  public synchronized CompletionStage<StoredObject> get(Kind kind, String namespace, String name) {
    StoredObject s = objects.get(key(kind, namespace, name));
    return s == null ? failed(ApiStatus.notFound(kind.group(), kind.plural(), name)) : done(copy(s));
  }

  @Override
  public synchronized CompletionStage<ListResult> list(Kind kind, ListOptions options) {
    if (options.continueFrom() != null && options.continueFrom().resourceVersion() < oldestResumableRv) {
      return failed(ApiStatus.expired("The provided continue parameter is too old to display a consistent list "
          + "result. You can start a new list without the continue parameter."));
    }
    // Only the latest state is kept: a continued list is served from it (what the watch cache
    // does once its history no longer reaches the token's version), at the token's version.
    long rv = options.continueFrom() != null ? options.continueFrom().resourceVersion() : lastRv;
    String prefix = kind.kind() + "/" + (options.namespace() == null ? "" : options.namespace() + "/");
    String from = options.continueFrom() != null ? options.continueFrom().startAfter() : prefix;
    List<StoredObject> matching = new ArrayList<>();
    for (Map.Entry<String, StoredObject> e : objects.tailMap(from, options.continueFrom() == null).entrySet()) {
      if (!e.getKey().startsWith(kind.kind() + "/")) {
        break;
      }
      if (!e.getKey().startsWith(prefix) || !matches(e.getValue().object(), options.labels(), options.fields())) {
        continue;
      }
      matching.add(e.getValue());
    }
    if (options.limit() > 0 && matching.size() > options.limit()) {
      List<StoredObject> page = matching.subList(0, (int) options.limit());
      ObjectMeta meta = meta(page.get(page.size() - 1).object());
      String token = new ContinueToken(rv, key(kind, meta.getNamespace(), meta.getName())).encode();
      return done(new ListResult(page.stream().map(InMemoryResourceStore::copy).toList(), rv, token,
          (long) (matching.size() - page.size())));
    }
    return done(new ListResult(matching.stream().map(InMemoryResourceStore::copy).toList(), rv, null, null));
  }

  private static boolean matches(IndexedRecord object, LabelSelector labels, FieldSelector fields) {
    return object != null && labels.matches(meta(object).getLabels())
        && (fields.isEverything() || fields.matches(KubeJson.toJson(object)));
  }

  // ---- writes: each one a command decided by the processor's rules ----

  @Override
  public synchronized CompletionStage<StoredObject> create(Kind kind, IndexedRecord object, WriteOptions options) {
    return decide(kind, command(CommandOp.CREATE, kind, meta(object), options), object);
  }

  @Override
  public synchronized CompletionStage<StoredObject> update(Kind kind, IndexedRecord object, WriteOptions options) {
    return decide(kind, command(CommandOp.UPDATE, kind, meta(object), options), object);
  }

  @Override
  public synchronized CompletionStage<StoredObject> updateStatus(Kind kind, IndexedRecord object,
      WriteOptions options) {
    return decide(kind, command(CommandOp.UPDATE_STATUS, kind, meta(object), options), object);
  }

  @Override
  public synchronized CompletionStage<StoredObject> delete(Kind kind, String namespace, String name,
      DeleteRequest request) {
    Command cmd = envelope(CommandOp.DELETE, kind, namespace, name, request.actor(), request.dryRun());
    cmd.setDeleteOptions(DeleteOptions.newBuilder()
        .setPropagationPolicy(request.propagationPolicy())
        .setGracePeriodSeconds(request.gracePeriodSeconds())
        .setPreconditionUid(request.preconditionUid())
        .setPreconditionResourceVersion(request.preconditionResourceVersion())
        .build());
    return decide(kind, cmd, null);
  }

  @Override
  public synchronized CompletionStage<StoredObject> bind(String namespace, String podName, String nodeName,
      WriteOptions options) {
    Command cmd = envelope(CommandOp.BIND, Kinds.POD, namespace, podName, options.actor(), options.dryRun());
    cmd.setNodeName(nodeName);
    return decide(Kinds.POD, cmd, null);
  }

  private static Command command(CommandOp op, Kind kind, ObjectMeta meta, WriteOptions options) {
    return envelope(op, kind, meta.getNamespace(), meta.getName(), options.actor(), options.dryRun());
  }

  private static Command envelope(CommandOp op, Kind kind, String namespace, String name, String actor,
      boolean dryRun) {
    return Command.newBuilder().setRequestId("").setClientId("").setOp(op).setKind(kind.kind())
        .setNamespace(kind.namespaced() && namespace != null ? namespace : "")
        .setName(name == null ? "" : name).setActor(actor == null ? "" : actor).setDryRun(dryRun).build();
  }

  /** As the processor's CommandApplier: decide, then store, record the change and answer. */
  private CompletionStage<StoredObject> decide(Kind kind, Command cmd, IndexedRecord object) {
    ErrorStatus misaddressed = WriteRules.checkAddress(cmd, kind);
    if (misaddressed != null) {
      return failed(status(misaddressed));
    }
    String key = key(kind, cmd.getNamespace(), cmd.getName());
    StoredObject stored = objects.get(key);
    Outcome outcome = rules.decide(cmd, kind, object == null ? null : deepCopy(object),
        stored == null ? null : deepCopy(stored.object()), Instant.now());
    if (outcome instanceof Outcome.Rejected r) {
      return failed(status(r.status()));
    }
    if (outcome instanceof Outcome.Unchanged) {
      return done(copy(stored));
    }
    if (outcome instanceof Outcome.Write w) {
      IndexedRecord after = (IndexedRecord) w.after();
      if (cmd.getDryRun()) {
        // What would be stored, without spending a resourceVersion.
        meta(after).setResourceVersion(stored == null ? null : meta(stored.object()).getResourceVersion());
        return done(new StoredObject(after, stored == null ? 0 : stored.resourceVersion()));
      }
      long rv = ++lastRv;
      meta(after).setResourceVersion(Long.toString(rv));
      StoredObject written = new StoredObject(after, rv);
      objects.put(key, written);
      record(new Change(kind, rv, stored == null ? null : stored.object(), after));
      if (w.op() == EventOp.DELETION_STARTED) {
        collectGarbage(kind, after);
      }
      return done(copy(objects.getOrDefault(key, written)));
    }
    if (outcome instanceof Outcome.Remove r) {
      IndexedRecord last = (IndexedRecord) r.last();
      if (cmd.getDryRun()) {
        return done(new StoredObject(last, stored.resourceVersion()));
      }
      long rv = ++lastRv;
      meta(last).setResourceVersion(Long.toString(rv));
      objects.remove(key);
      record(new Change(kind, rv, stored.object(), null));
      if (cmd.getOp() == CommandOp.DELETE) {
        deleteDependents(meta(last).getUid(), meta(last).getNamespace());
      }
      return done(new StoredObject(deepCopy(last), rv));
    }
    throw new IllegalStateException("unknown outcome " + outcome);
  }

  // ---- what the garbage collector controller does in a real cluster ----

  /** An object marked for deletion whose finalizers are the garbage collector's own. */
  private void collectGarbage(Kind kind, IndexedRecord owner) {
    ObjectMeta meta = meta(owner);
    List<String> finalizers = meta.getFinalizers() == null ? List.of() : meta.getFinalizers();
    String uid = meta.getUid();
    if (finalizers.contains(WriteRules.ORPHAN_FINALIZER)) {
      for (StoredObject dependent : dependents(uid, meta.getNamespace())) {
        IndexedRecord freed = deepCopy(dependent.object());
        List<OwnerReference> refs = new ArrayList<>(meta(freed).getOwnerReferences());
        refs.removeIf(r -> uid.equals(r.getUid()));
        meta(freed).setOwnerReferences(refs);
        update(kindOf(freed), freed, new WriteOptions("system:serviceaccount:kube-system:generic-garbage-collector",
            false, null));
      }
      removeFinalizer(kind, owner, WriteRules.ORPHAN_FINALIZER);
    } else if (finalizers.contains(WriteRules.FOREGROUND_FINALIZER)) {
      deleteDependents(uid, meta.getNamespace());
      removeFinalizer(kind, owner, WriteRules.FOREGROUND_FINALIZER);
    }
  }

  private void removeFinalizer(Kind kind, IndexedRecord owner, String finalizer) {
    StoredObject current = objects.get(key(kind, meta(owner).getNamespace(), meta(owner).getName()));
    if (current == null) {
      return;
    }
    IndexedRecord next = deepCopy(current.object());
    List<String> finalizers = new ArrayList<>(meta(next).getFinalizers());
    finalizers.remove(finalizer);
    meta(next).setFinalizers(finalizers);
    update(kind, next, new WriteOptions("system:serviceaccount:kube-system:generic-garbage-collector", false, null));
  }

  private void deleteDependents(String ownerUid, String namespace) {
    for (StoredObject dependent : dependents(ownerUid, namespace)) {
      ObjectMeta m = meta(dependent.object());
      delete(kindOf(dependent.object()), m.getNamespace(), m.getName(),
          DeleteRequest.byDefault("system:serviceaccount:kube-system:generic-garbage-collector"));
    }
  }

  private List<StoredObject> dependents(String ownerUid, String namespace) {
    List<StoredObject> out = new ArrayList<>();
    for (StoredObject s : objects.values()) {
      ObjectMeta m = meta(s.object());
      if (m.getOwnerReferences() != null && Objects.equals(m.getNamespace(), namespace)
          && m.getOwnerReferences().stream().anyMatch(r -> ownerUid.equals(r.getUid()))) {
        out.add(s);
      }
    }
    return out;
  }

  private static Kind kindOf(IndexedRecord object) {
    return Kinds.bySchema(object.getSchema()).orElseThrow();
  }

  // ---- watch ----

  @Override
  public synchronized WatchHandle watch(Kind kind, WatchOptions options, Consumer<WatchEvent> sink) {
    String from = options.resourceVersion();
    boolean fromNow = from == null || from.isEmpty() || from.equals("0");
    long since;
    if (fromNow) {
      since = lastRv;
    } else {
      try {
        since = Long.parseLong(from);
      } catch (NumberFormatException e) {
        sink.accept(new WatchEvent.Error(ApiStatus.badRequest("resourceVersion: invalid value \"" + from + "\"")));
        return () -> { };
      }
      if (since < oldestResumableRv) {
        sink.accept(new WatchEvent.Error(ApiStatus.gone("too old resource version: " + since + " ("
            + oldestResumableRv + ")")));
        return () -> { };
      }
    }
    Watcher w = new Watcher(kind, options, sink);
    // No version (or "0"): the current state as ADDED events first, as kube-apiserver's "get state
    // and start at most recent"; the end bookmark only when the client asked for initial events.
    if (options.sendInitialEvents() || fromNow) {
      String prefix = kind.kind() + "/" + (options.namespace() == null ? "" : options.namespace() + "/");
      for (Map.Entry<String, StoredObject> e : objects.tailMap(prefix, true).entrySet()) {
        if (!e.getKey().startsWith(prefix)) {
          break;
        }
        if (matches(e.getValue().object(), options.labels(), options.fields())) {
          sink.accept(new WatchEvent.Added(copy(e.getValue())));
        }
      }
      if (options.sendInitialEvents() && options.bookmarks()) {
        sink.accept(new WatchEvent.Bookmark(lastRv, true));
      }
    } else if (!fromNow) {
      for (Change c : history) {
        if (c.rv() > since) {
          deliver(w, c);
        }
      }
    }
    watchers.add(w);
    return () -> watchers.remove(w);
  }

  private void record(Change change) {
    history.addLast(change);
    while (history.size() > historySize) {
      oldestResumableRv = history.removeFirst().rv();
    }
    for (Watcher w : watchers) {
      deliver(w, change);
    }
  }

  /** The change as this watcher sees it through its namespace and selectors. */
  private static void deliver(Watcher w, Change c) {
    if (w.kind() != c.kind()) {
      return;
    }
    boolean wasIn = visible(w, c.before());
    boolean isIn = visible(w, c.after());
    if (c.after() != null && isIn) {
      StoredObject now = new StoredObject(deepCopy(c.after()), c.rv());
      w.sink().accept(wasIn ? new WatchEvent.Modified(now) : new WatchEvent.Added(now));
    } else if (wasIn) {
      // Gone, or no longer selected: DELETED with the last state at this change's version.
      IndexedRecord last = deepCopy(c.after() != null ? c.after() : c.before());
      meta(last).setResourceVersion(Long.toString(c.rv()));
      w.sink().accept(new WatchEvent.Deleted(new StoredObject(last, c.rv())));
    }
  }

  private static boolean visible(Watcher w, IndexedRecord object) {
    if (object == null) {
      return false;
    }
    if (w.options().namespace() != null && !w.options().namespace().equals(meta(object).getNamespace())) {
      return false;
    }
    return matches(object, w.options().labels(), w.options().fields());
  }

  // ---- helpers ----

  /** The processor's ErrorStatus as the gateway's Status. */
  static ApiStatus status(ErrorStatus e) {
    List<ApiStatus.Cause> causes = e.getCauses().stream()
        .map(c -> new ApiStatus.Cause(c.getReason(), c.getMessage(),
            c.getField().isEmpty() ? null : c.getField())).toList();
    boolean anyDetail = !e.getName().isEmpty() || !e.getKind().isEmpty() || !causes.isEmpty();
    return new ApiStatus(e.getCode(), e.getReason(), e.getMessage(),
        anyDetail ? new ApiStatus.Details(e.getName(), e.getGroup(), e.getKind(), causes, null) : null);
  }

  private static ObjectMeta meta(IndexedRecord o) {
    return (ObjectMeta) o.get(o.getSchema().getField("metadata").pos());
  }

  private static IndexedRecord deepCopy(IndexedRecord o) {
    return SpecificData.get().deepCopy(o.getSchema(), o);
  }

  private static StoredObject copy(StoredObject s) {
    return new StoredObject(deepCopy(s.object()), s.resourceVersion());
  }

  private static <T> CompletionStage<T> done(T value) {
    return CompletableFuture.completedFuture(value);
  }

  private static <T> CompletionStage<T> failed(ApiStatus status) {
    return CompletableFuture.failedFuture(new ApiException(status));
  }
}
