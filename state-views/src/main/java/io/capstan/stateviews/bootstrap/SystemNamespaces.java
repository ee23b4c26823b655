package io.capstan.stateviews.bootstrap;

import io.capstan.api.Namespace;
import io.capstan.api.ObjectMeta;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandResult;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the namespaces a Kubernetes cluster always has ({@code default}, {@code kube-system},
 * {@code kube-public}, {@code kube-node-lease}), as kube-apiserver's system namespaces
 * controller does. Idempotent: AlreadyExists is success.
 */
public final class SystemNamespaces {
  private static final Logger log = LoggerFactory.getLogger(SystemNamespaces.class);

  public static final List<String> NAMES = List.of("default", "kube-system", "kube-public", "kube-node-lease");

  private SystemNamespaces() {}

  public static void ensure(CommandClient client, Duration timeout) {
    List<CompletableFuture<CommandResult>> pending = NAMES.stream()
        .map(n -> client.create(Namespace.newBuilder().setMetadata(ObjectMeta.newBuilder().setName(n).build()).build()))
        .toList();
    int created = 0;
    for (int i = 0; i < NAMES.size(); i++) {
      CommandResult r;
      try {
        r = pending.get(i).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        throw new IllegalStateException("creating namespace " + NAMES.get(i) + " failed: " + e, e);
      }
      if (r instanceof CommandResult.Accepted) {
        created++;
      } else if (r instanceof CommandResult.Rejected rej && !"AlreadyExists".equals(rej.status().getReason())) {
        throw new IllegalStateException("creating namespace " + NAMES.get(i) + " was refused: " + rej.status().getMessage());
      }
    }
    if (created > 0) {
      log.info("created {} system namespaces", created);
    }
  }
}
