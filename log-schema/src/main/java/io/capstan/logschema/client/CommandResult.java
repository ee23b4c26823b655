package io.capstan.logschema.client;

import io.capstan.log.ErrorStatus;
import org.apache.avro.generic.IndexedRecord;

/** What the command processor answered: the command was applied, or refused with a Status. */
public sealed interface CommandResult permits CommandResult.Accepted, CommandResult.Rejected {

  /**
   * The command was applied.
   *
   * @param object          the object as stored after the command; when {@code deleted}, the object as
   *                        it was removed (at the removal's resourceVersion); null only in replies
   *                        remembered from before removals carried it
   * @param resourceVersion the resourceVersion the command was applied at
   * @param partition       the partition of the object key: readers that want to see this write wait
   *                        until they have applied {@code resourceVersion} on it
   * @param deleted         true when the object was removed from the state (not merely marked for deletion)
   */
  record Accepted(IndexedRecord object, long resourceVersion, int partition, boolean deleted)
      implements CommandResult {

    /** The stored object as its specific class, e.g. {@code objectAs(ConfigMap.class)}. */
    public <T extends IndexedRecord> T objectAs(Class<T> type) {
      if (object == null) {
        throw new IllegalStateException("the reply carries no object (deleted=" + deleted + ")");
      }
      return type.cast(object);
    }
  }

  /**
   * The command was refused, with a Kubernetes-style Status (AlreadyExists, Conflict, NotFound, Invalid, ...).
   *
   * @param status          the Status to show the caller
   * @param resourceVersion the resourceVersion of the object the processor held when it refused
   *                        (0 when there was none): after a Conflict, a reader that waits for this
   *                        version on {@code partition} sees the write it lost to
   * @param partition       the partition of the object key, -1 when unknown
   */
  record Rejected(ErrorStatus status, long resourceVersion, int partition) implements CommandResult {

    public Rejected(ErrorStatus status) {
      this(status, 0, -1);
    }
  }
}
