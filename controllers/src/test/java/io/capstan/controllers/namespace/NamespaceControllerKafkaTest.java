package io.capstan.controllers.namespace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ConfigMap;
import io.capstan.api.Namespace;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.controllers.testing.Cluster;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.Informer;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Deleting a namespace empties it, refuses new content meanwhile, then removes it. */
class NamespaceControllerKafkaTest {

  @Test
  void aDeletedNamespaceIsEmptiedThenRemoved() throws Exception {
    try (Cluster cluster = new Cluster("ns-it");
        NamespaceController nc = new NamespaceController(cluster.informers, cluster.writer, Clock.systemUTC(), 1,
            cluster.registry)) {
      Informer<Namespace> namespaces = cluster.informers.informerFor(Kinds.NAMESPACE, Namespace.class);
      Informer<ConfigMap> cms = cluster.informers.informerFor(Kinds.CONFIG_MAP, ConfigMap.class);
      Informer<Pod> pods = cluster.informers.informerFor(Kinds.POD, Pod.class);
      cluster.startInformers();
      nc.start();
      cluster.namespace("doomed");
      for (int i = 0; i < 3; i++) {
        cluster.create(ConfigMap.newBuilder()
            .setMetadata(ObjectMeta.newBuilder().setNamespace("doomed").setName("cm-" + i).build())
            .setData(Map.of("i", "" + i)).build());
      }
      // one object holds the namespace with a finalizer of its own
      cluster.create(ConfigMap.newBuilder()
          .setMetadata(ObjectMeta.newBuilder().setNamespace("doomed").setName("held")
              .setFinalizers(List.of("test.capstan.io/hold")).build())
          .setData(Map.of()).build());
      cluster.create(Pod.newBuilder()
          .setMetadata(ObjectMeta.newBuilder().setNamespace("doomed").setName("p").build())
          .setSpec(Cluster.template(Map.of("a", "b"), "nginx").getSpec()).build());
      Cluster.await("content cached", () -> cms.list("doomed").size() == 4 && pods.list("doomed").size() == 1);

      cluster.client.delete(Kinds.NAMESPACE, "", "doomed", null).get(30, TimeUnit.SECONDS);
      // the held object stays, marked for deletion: clearing its finalizer must start from that version
      Cluster.await("everything but the held object deleted, the held one marked", () -> cms.list("doomed").size() == 1
          && pods.list("doomed").isEmpty()
          && cms.get("doomed", "held").map(c -> c.getMetadata().getDeletionTimestamp() != null).orElse(false));
      Namespace terminating = namespaces.get("", "doomed").orElseThrow(() -> new AssertionError("removed too early"));
      assertEquals("Terminating", terminating.getStatus().getPhase());
      CommandResult refused = cluster.client.create(ConfigMap.newBuilder()
          .setMetadata(ObjectMeta.newBuilder().setNamespace("doomed").setName("late").build())
          .setData(Map.of()).build()).get(30, TimeUnit.SECONDS);
      assertTrue(refused instanceof CommandResult.Rejected, "creates in a terminating namespace are refused");
      assertEquals(403, ((CommandResult.Rejected) refused).status().getCode());

      ConfigMap held = PodTemplates.copy(cms.get("doomed", "held").orElseThrow());
      held.getMetadata().setFinalizers(null);
      CommandResult released = cluster.client.update(held).get(30, TimeUnit.SECONDS);
      assertTrue(released instanceof CommandResult.Accepted, "clearing the held object's finalizer: " + released);
      Cluster.await("namespace removed", () -> namespaces.get("", "doomed").isEmpty() && cms.list("doomed").isEmpty());
    }
  }
}
