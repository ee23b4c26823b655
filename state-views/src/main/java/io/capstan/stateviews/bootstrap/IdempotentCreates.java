package io.capstan.stateviews.bootstrap;

import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandResult;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.avro.generic.IndexedRecord;

/** Creates objects every cluster starts with; one that exists already (AlreadyExists) is fine. */
final class IdempotentCreates {
  private IdempotentCreates() {}

  /**
   * Sends the creates at once and waits for each.
   *
   * @param what  names the objects in errors ("namespace", "priority class")
   * @return how many were created now
   * @throws IllegalStateException when one fails or is refused for another reason
   */
  static int createAll(CommandClient client, String what, List<String> names, List<? extends IndexedRecord> objects,
      Duration timeout) {
    List<CompletableFuture<CommandResult>> pending = objects.stream().map(client::create).toList();
    int created = 0;
    for (int i = 0; i < names.size(); i++) {
      CommandResult r;
      try {
        r = pending.get(i).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        throw new IllegalStateException("creating " + what + " " + names.get(i) + " failed: " + e, e);
      }
      if (r instanceof CommandResult.Accepted) {
        created++;
      } else if (r instanceof CommandResult.Rejected rej && !"AlreadyExists".equals(rej.status().getReason())) {
        throw new IllegalStateException("creating " + what + " " + names.get(i) + " was refused: "
            + rej.status().getMessage());
      }
    }
    return created;
  }
}
