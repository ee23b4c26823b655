package io.capstan.stateviews.bootstrap;

import io.capstan.api.Namespace;
import io.capstan.api.ObjectMeta;
import io.capstan.logschema.client.CommandClient;
import java.time.Duration;
import java.util.List;
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
    int created = IdempotentCreates.createAll(client, "namespace", NAMES, NAMES.stream().map(n -> Namespace.newBuilder().setMetadata(ObjectMeta.newBuilder().setName(n).build()).build()).toList(), timeout);
    if (created > 0) {
      log.info("created {} system namespaces", created);
    }
  }
}
