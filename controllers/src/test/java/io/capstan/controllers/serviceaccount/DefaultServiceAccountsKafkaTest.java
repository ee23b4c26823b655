package io.capstan.controllers.serviceaccount;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ServiceAccount;
import io.capstan.controllers.testing.Cluster;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.Informer;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A {@code default} ServiceAccount in every namespace, on the real broker: in namespaces that
 * existed before the controller started and in new ones, and created again when deleted.
 */
class DefaultServiceAccountsKafkaTest {
  @Test
  void everyNamespaceHasADefaultServiceAccountAgainAfterItIsDeleted() throws Exception {
    try (Cluster cluster = new Cluster("default-sa");
        DefaultServiceAccounts controller = new DefaultServiceAccounts(cluster.informers, cluster.writer, 1,
            cluster.registry)) {
      Informer<ServiceAccount> sas = cluster.informers.informerFor(Kinds.SERVICE_ACCOUNT, ServiceAccount.class);
      cluster.namespace("team-a");
      cluster.startInformers();
      controller.start();
      cluster.namespace("team-b");
      for (String ns : new String[] {"team-a", "team-b"}) {
        Cluster.await(ns + "'s default ServiceAccount", () -> sas.get(ns, DefaultServiceAccounts.DEFAULT).isPresent(),
            () -> String.valueOf(sas.list()));
      }

      String uid = sas.get("team-a", DefaultServiceAccounts.DEFAULT).orElseThrow().getMetadata().getUid();
      CommandResult deleted = cluster.client.delete(Kinds.SERVICE_ACCOUNT, "team-a", DefaultServiceAccounts.DEFAULT,
          null).get(30, TimeUnit.SECONDS);
      assertTrue(deleted instanceof CommandResult.Accepted, deleted.toString());
      Cluster.await("team-a's default ServiceAccount created again", () -> sas.get("team-a", DefaultServiceAccounts.DEFAULT)
          .map(sa -> !sa.getMetadata().getUid().equals(uid)).orElse(false), () -> String.valueOf(sas.list()));
    }
  }
}
