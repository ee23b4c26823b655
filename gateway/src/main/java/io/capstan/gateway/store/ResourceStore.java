package io.capstan.gateway.store;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.logschema.kinds.Kind;
import io.capstan.gateway.errors.ApiException;
import io.capstan.gateway.errors.ApiStatus;
import io.capstan.stateviews.audit.AuditEntry;
import io.capstan.stateviews.audit.AuditQuery;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.apache.avro.generic.IndexedRecord;

/**
 * Where the gateway reads and writes objects. Every method is non-blocking (the REST layer
 * calls it on a Vert.x event loop) and reports failures by completing exceptionally with an
 * {@link io.capstan.gateway.errors.ApiException} carrying the Kubernetes Status: NotFound,
 * AlreadyExists, Conflict (resourceVersion precondition), Expired (too-old version or continue
 * token), Invalid (rules only the writer can check), ServiceUnavailable / Timeout (backbone not
 * answering).
 *
 * <p>Objects are the kinds' Avro records. The store owns server-set metadata: on create it
 * sets uid, creationTimestamp, resourceVersion and generation; on update it checks
 * {@code metadata.resourceVersion} (when set) against the current one, as
 * update-if-resourceVersion-matches. The caller has already converted, defaulted names
 * (generateName) and validated the object. {@code actor} is the authenticated user, recorded
 * in the event log.
 */
public interface ResourceStore {
  CompletionStage<StoredObject> get(Kind kind, String namespace, String name);

  /**
   * A get as a client asks it, with its {@code resourceVersion} parameter: absent is the most
   * recent state (every write acknowledged before the request), "0" any, N not older than N.
   * This default serves stores that are always current.
   */
  default CompletionStage<StoredObject> get(Kind kind, String namespace, String name, String resourceVersion) {
    return get(kind, namespace, name);
  }

  /**
   * The object held in memory now, without waiting for anything (authentication looks up
   * ServiceAccounts and bound pods on every request with it); empty when absent. This default
   * serves stores whose reads complete at once.
   */
  default java.util.Optional<IndexedRecord> current(Kind kind, String namespace, String name) {
    CompletableFuture<StoredObject> f = get(kind, namespace, name).toCompletableFuture();
    return f.isDone() && !f.isCompletedExceptionally() ? java.util.Optional.of(f.join().object())
        : java.util.Optional.empty();
  }

  /** A consistent list at one resourceVersion, filtered and paginated as {@code options} says. */
  CompletionStage<ListResult> list(Kind kind, ListOptions options);

  CompletionStage<StoredObject> create(Kind kind, IndexedRecord object, WriteOptions options);

  /** Replaces spec and metadata; the status is kept from the stored object when the kind has a status subresource. */
  CompletionStage<StoredObject> update(Kind kind, IndexedRecord object, WriteOptions options);

  /** Replaces only the status (the {@code /status} subresource). */
  CompletionStage<StoredObject> updateStatus(Kind kind, IndexedRecord object, WriteOptions options);

  /**
   * Server-side apply of {@code config} (the applied configuration, JSON) to the object or, with
   * {@code status}, its status; creates the object when it is absent. The merge, ownership and
   * conflicts are the store's to decide against the stored object. A store that cannot answers 415.
   */
  default CompletionStage<Applied> apply(Kind kind, String namespace, String name, JsonNode config, boolean status,
      boolean force, WriteOptions options) {
    return CompletableFuture.failedFuture(new ApiException(ApiStatus.unsupportedMediaType(
        "application/apply-patch+yaml", java.util.List.of("application/json-patch+json",
            "application/merge-patch+json", "application/strategic-merge-patch+json"))));
  }

  /** The object an apply left, and whether the apply created it (201). */
  record Applied(StoredObject stored, boolean created) {}

  /**
   * Adds the pod's ephemeral containers (the {@code pods/ephemeralcontainers} subresource): only
   * {@code spec.ephemeralContainers} is taken from {@code pod}, and entries already stored may not
   * change. A store that cannot keep that rule answers 405.
   */
  default CompletionStage<StoredObject> updateEphemeralContainers(IndexedRecord pod, WriteOptions options) {
    return CompletableFuture.failedFuture(new ApiException(ApiStatus.methodNotAllowed("PUT", "pods/ephemeralcontainers")));
  }

  /**
   * Deletes (or, with finalizers, marks for deletion) and returns the object as it was last
   * stored; preconditions in {@code options} are checked first.
   */
  CompletionStage<StoredObject> delete(Kind kind, String namespace, String name, DeleteRequest options);

  /**
   * Binds an unbound pod to a node (the {@code pods/binding} subresource; the BIND command of
   * {@code CommandClient.bind}): sets {@code spec.nodeName} and the PodScheduled condition and
   * returns the pod as stored. Conflict when the pod is already bound or being deleted,
   * NotFound when it is absent.
   */
  CompletionStage<StoredObject> bind(String namespace, String podName, String nodeName, WriteOptions options);

  /**
   * Streams changes of {@code kind} after {@code options.resourceVersion()} to {@code sink}, in
   * order per object, until the returned handle is closed. An {@link WatchEvent.Error} (410 Gone
   * when the version is too old) or {@link WatchEvent.End} ends the stream. A {@link WatchSink}
   * can hold the stream back while its client's connection is full.
   */
  WatchHandle watch(Kind kind, WatchOptions options, Consumer<WatchEvent> sink);

  /**
   * The object as it was at {@code at}, read from the event log (a historical read): 404 when it
   * did not exist then (never made yet, or deleted), 410 when {@code at} is before the log's
   * retained start. A Secret comes without its values. This default serves stores that keep no
   * event log: 503.
   */
  default CompletionStage<StoredObject> getAsOf(Kind kind, String namespace, String name,
      io.capstan.stateviews.history.AsOf at) {
    return noHistory();
  }

  /**
   * The objects as they were at {@code at} (a historical read), filtered by the options'
   * namespace and selectors, all in one chunk; 410 before the log's retained start.
   */
  default CompletionStage<ListResult> listAsOf(Kind kind, ListOptions options, io.capstan.stateviews.history.AsOf at) {
    return noHistory();
  }

  /** Every version of the object in the event log, oldest first, with what each changed; 404 when there is none. */
  default CompletionStage<List<io.capstan.stateviews.history.HistoricalObjects.HistoryEntry>> history(Kind kind,
      String namespace, String name) {
    return noHistory();
  }

  /**
   * The writes of the event log from {@code from} to {@code to} (either null: the log's oldest
   * write held, and now) in {@code buckets} equal buckets, with the Deployment changes and Warning
   * events of the span marked.
   */
  default CompletionStage<WriteTimeline> timeline(java.time.Instant from, java.time.Instant to, int buckets) {
    return noHistory();
  }

  private static <T> CompletionStage<T> noHistory() {
    return CompletableFuture.failedFuture(new ApiException(ApiStatus.serviceUnavailable(
        "this gateway's store keeps no event log to read history from")));
  }

  /** Where refused requests and reads of Secrets are kept for audit; {@link AccessLog#NONE} by default. */
  default AccessLog accessLog() {
    return AccessLog.NONE;
  }

  /** The audit trail (who changed what, when) matching {@code query}, in time order, read from the event log. */
  default CompletionStage<List<AuditEntry>> audit(AuditQuery query) {
    return CompletableFuture.failedFuture(new ApiException(ApiStatus.serviceUnavailable(
        "this gateway's store keeps no event log to audit")));
  }

  /** As {@link #audit(AuditQuery)}; with {@code objects}, each entry carries the object after the change. */
  default CompletionStage<List<AuditEntry>> audit(AuditQuery query, boolean objects) {
    return audit(query);
  }
}
