package io.capstan.stateviews.bootstrap;

import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.validation.PriorityClassRules;
import io.capstan.stateviews.processor.rules.PriorityAdmission;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the built-in PriorityClasses, {@code system-cluster-critical} (2000000000) and
 * {@code system-node-critical} (2000001000), as kube-apiserver's scheduling post-start hook
 * does. Idempotent: AlreadyExists is success.
 */
public final class SystemPriorityClasses {
  private static final Logger log = LoggerFactory.getLogger(SystemPriorityClasses.class);
  public static final List<String> NAMES =
      List.of(PriorityClassRules.SYSTEM_NODE_CRITICAL, PriorityClassRules.SYSTEM_CLUSTER_CRITICAL);

  private SystemPriorityClasses() {}

  public static void ensure(CommandClient client, Duration timeout) {
    List<CompletableFuture<CommandResult>> pending = NAMES.stream()
        .map(n -> client.create(PriorityAdmission.systemClass(n)))
        .toList();
    int created = 0;
    for (int i = 0; i < NAMES.size(); i++) {
      CommandResult r;
      try {
        r = pending.get(i).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        throw new IllegalStateException("creating priority class " + NAMES.get(i) + " failed: " + e, e);
      }
      if (r instanceof CommandResult.Accepted) {
        created++;
      } else if (r instanceof CommandResult.Rejected rej && !"AlreadyExists".equals(rej.status().getReason())) {
        throw new IllegalStateException("creating priority class " + NAMES.get(i) + " was refused: "
            + rej.status().getMessage());
      }
    }
    if (created > 0) {
      log.info("created {} system priority classes", created);
    }
  }
}
