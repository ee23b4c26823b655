package io.capstan.controllers.runtime;

import io.capstan.log.DeleteOptions;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kind;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.avro.generic.IndexedRecord;

/**
 * A controller's writes through the {@link CommandClient}, waited for: an accepted write returns
 * the stored object; a refused one throws {@link WriteRejectedException}. Updates carry the
 * resourceVersion of the object they were computed from, so the processor refuses them with a
 * Conflict when the cache was stale (optimistic concurrency, as every Kubernetes controller).
 */
public final class ObjectWriter {
  private final CommandClient client;
  private final Duration timeout;

  public ObjectWriter(CommandClient client, Duration timeout) {
    if (client == null || timeout == null || timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("object writer: need a command client and a positive timeout");
    }
    this.client = client;
    this.timeout = timeout;
  }

  public CommandClient client() {
    return client;
  }

  public CompletableFuture<CommandResult> createAsync(IndexedRecord object) {
    return client.create(object);
  }

  public CommandResult.Accepted create(IndexedRecord object) throws WriteRejectedException, InterruptedException {
    return await("create " + describe(object), client.create(object));
  }

  public CommandResult.Accepted update(IndexedRecord object) throws WriteRejectedException, InterruptedException {
    return await("update " + describe(object), client.update(object));
  }

  public CommandResult.Accepted updateStatus(IndexedRecord object) throws WriteRejectedException, InterruptedException {
    return await("update status of " + describe(object), client.updateStatus(object));
  }

  public CompletableFuture<CommandResult> deleteAsync(Kind kind, String namespace, String name, DeleteOptions options) {
    return client.delete(kind, namespace, name, options);
  }

  public CommandResult.Accepted delete(Kind kind, String namespace, String name, DeleteOptions options)
      throws WriteRejectedException, InterruptedException {
    return await("delete " + kind.kind() + " " + namespace + "/" + name, client.delete(kind, namespace, name, options));
  }

  /** Waits for a command's answer; a refusal becomes {@link WriteRejectedException}. */
  public CommandResult.Accepted await(String what, CompletableFuture<CommandResult> f)
      throws WriteRejectedException, InterruptedException {
    CommandResult r;
    try {
      r = f.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException(what + " failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      f.cancel(false);
      throw new IllegalStateException(what + ": no answer within " + timeout, e);
    }
    if (r instanceof CommandResult.Rejected rej) {
      throw new WriteRejectedException(what, rej.status());
    }
    return (CommandResult.Accepted) r;
  }

  private static String describe(IndexedRecord o) {
    Object meta = o.get(o.getSchema().getField("metadata").pos());
    if (meta instanceof io.capstan.api.ObjectMeta m) {
      return o.getSchema().getName() + " " + m.getNamespace() + "/"
          + (m.getName() == null ? m.getGenerateName() + "*" : m.getName());
    }
    return o.getSchema().getName();
  }
}
