package io.capstan.controllers.rootca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ConfigMap;
import io.capstan.api.Namespace;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.controllers.testing.Cluster;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.Informer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kube-root-ca.crt in every namespace, on the real broker: created in each namespace, recreated
 * when deleted, put back when changed, and updated everywhere when the CA file changes.
 */
class RootCaPublisherKafkaTest {
  static final String CA_1 = pem("MIIBcapstanFirstCA");
  static final String CA_2 = pem("MIIBcapstanRotatedCA");

  @TempDir
  Path dir;

  static String pem(String body) {
    return "-----BEGIN CERTIFICATE-----\n" + body + "\n-----END CERTIFICATE-----\n";
  }

  private static Optional<ConfigMap> rootCa(Informer<ConfigMap> cms, String ns) {
    return cms.get(ns, RootCaPublisher.CONFIG_MAP);
  }

  private static boolean published(Informer<ConfigMap> cms, String ns, String pem) {
    return rootCa(cms, ns).map(cm -> Map.of(RootCaPublisher.CA_KEY, pem).equals(cm.getData())
        && RootCaPublisher.DESCRIPTION.equals(cm.getMetadata().getAnnotations().get(RootCaPublisher.DESCRIPTION_ANNOTATION)))
        .orElse(false);
  }

  @Test
  void everyNamespaceGetsTheCaBundleKeptAsTheFileSays() throws Exception {
    Path caFile = dir.resolve("ca.crt");
    Files.writeString(caFile, CA_1);
    try (Cluster cluster = new Cluster("root-ca");
        RootCaPublisher publisher = new RootCaPublisher(cluster.informers, cluster.writer, RootCaFile.open(caFile),
            Duration.ofMillis(200), 1, cluster.registry)) {
      Informer<ConfigMap> cms = cluster.informers.informerFor(Kinds.CONFIG_MAP, ConfigMap.class);
      Informer<Namespace> namespaces = cluster.informers.informerFor(Kinds.NAMESPACE, Namespace.class);
      cluster.namespace("team-a");
      cluster.startInformers();
      publisher.start();
      cluster.namespace("team-b");
      for (String ns : List.of("team-a", "team-b")) {
        Cluster.await(ns + "'s kube-root-ca.crt", () -> published(cms, ns, CA_1), () -> String.valueOf(rootCa(cms, ns)));
      }

      // Deleted: created again.
      String uid = rootCa(cms, "team-a").orElseThrow().getMetadata().getUid();
      CommandResult deleted = cluster.client.delete(Kinds.CONFIG_MAP, "team-a", RootCaPublisher.CONFIG_MAP, null)
          .get(30, TimeUnit.SECONDS);
      assertTrue(deleted instanceof CommandResult.Accepted, deleted.toString());
      Cluster.await("team-a's copy recreated", () -> rootCa(cms, "team-a")
          .map(cm -> !cm.getMetadata().getUid().equals(uid) && published(cms, "team-a", CA_1)).orElse(false));

      // Changed: the data and the description are put back, the user's label stays.
      ConfigMap tampered = PodTemplates.copy(rootCa(cms, "team-b").orElseThrow());
      tampered.setData(Map.of(RootCaPublisher.CA_KEY, "not a CA", "extra", "x"));
      tampered.getMetadata().setAnnotations(Map.of());
      Map<String, String> labels = new HashMap<>();
      labels.put("mine", "yes");
      tampered.getMetadata().setLabels(labels);
      CommandResult updated = cluster.client.update(tampered).get(30, TimeUnit.SECONDS);
      assertTrue(updated instanceof CommandResult.Accepted, updated.toString());
      long tamperedRv = ((CommandResult.Accepted) updated).resourceVersion();
      Cluster.await("team-b's copy restored", () -> rootCa(cms, "team-b")
          .map(cm -> Long.parseLong(cm.getMetadata().getResourceVersion()) > tamperedRv && published(cms, "team-b", CA_1))
          .orElse(false), () -> String.valueOf(rootCa(cms, "team-b")));
      assertEquals("yes", rootCa(cms, "team-b").orElseThrow().getMetadata().getLabels().get("mine"));

      // The CA file changes: every namespace's copy follows, system namespaces included.
      Files.writeString(caFile, CA_2);
      List<String> all = namespaces.list().stream().map(n -> n.getMetadata().getName()).toList();
      assertTrue(all.containsAll(List.of("team-a", "team-b")), all.toString());
      for (String ns : all) {
        Cluster.await(ns + "'s copy rotated", () -> published(cms, ns, CA_2), () -> String.valueOf(rootCa(cms, ns)));
      }
      assertNotEquals(CA_1, CA_2);
    }
  }

  @Test
  void aFileWithoutACertificateIsRefused() throws IOException {
    Path notPem = dir.resolve("ca.crt");
    Files.writeString(notPem, "hello");
    IOException e = assertThrows(IOException.class, () -> RootCaFile.open(notPem));
    assertTrue(e.getMessage().contains("holds no PEM certificate"), e.getMessage());
    assertThrows(IOException.class, () -> RootCaFile.open(dir.resolve("missing.crt")));
  }
}
