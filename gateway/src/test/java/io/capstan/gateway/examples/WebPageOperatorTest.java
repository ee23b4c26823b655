package io.capstan.gateway.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.logschema.kinds.Kinds;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.javaoperatorsdk.operator.Operator;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Java Operator SDK operator (the {@link WebPageReconciler}) against a real Capstan: it reconciles
 * a new WebPage into an owned ConfigMap and Deployment and reports through the status subresource,
 * follows spec updates, puts back an owned object deleted by hand (it watches them by label), and
 * deleting the WebPage garbage-collects what it owned. Server-side apply is off (issue 15).
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class WebPageOperatorTest {
  private static final int WAIT = 60;

  @TempDir
  static Path dataDir;
  static ExampleCluster cluster;
  static Operator operator;

  @BeforeAll
  static void start() throws Exception {
    cluster = new ExampleCluster("webpage-operator", dataDir);
    cluster.define(WebPage.DEFINITION);
    operator = new Operator(o -> o.withKubernetesClient(cluster.client).withCloseClientOnStop(false)
        .withUseSSAToPatchPrimaryResource(false).withSSABasedCreateUpdateMatchForDependentResources(false));
    operator.register(new WebPageReconciler());
    operator.start();
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (operator != null) {
        operator.stop();
      }
      if (cluster != null) {
        cluster.close();
      }
    } finally {
      Kinds.unregister("WebPage"); // the kind registry is JVM-wide
    }
  }

  private static void assertOwnedBy(HasMetadata owned, WebPage page) {
    assertEquals(1, owned.getMetadata().getOwnerReferences().size(), owned.getMetadata().getName());
    OwnerReference ref = owned.getMetadata().getOwnerReferences().get(0);
    assertEquals("WebPage", ref.getKind());
    assertEquals(WebPage.GROUP + "/v1", ref.getApiVersion());
    assertEquals(page.getMetadata().getUid(), ref.getUid());
  }

  @Test
  void reconcilesOnCreateAndUpdateReportsStatusAndItsObjectsGoWithIt() throws InterruptedException {
    String ns = cluster.namespace("webpages");
    var pages = cluster.client.resources(WebPage.class).inNamespace(ns);
    WebPage page = new WebPage();
    page.getMetadata().setName("home");
    page.setSpec(new WebPage.Spec());
    page.getSpec().setHtml("<h1>hello</h1>");
    page.getSpec().setReplicas(2);
    WebPage created = pages.resource(page).create();
    assertEquals(2, created.getSpec().getReplicas(), "stored as sent");

    // on create: the owned objects, and the status through the status subresource
    Resource<ConfigMap> cm = cluster.client.configMaps().inNamespace(ns).withName("home-html");
    Resource<Deployment> deploy = cluster.client.apps().deployments().inNamespace(ns).withName("home");
    ConfigMap html = cm.waitUntilCondition(c -> c != null, WAIT, TimeUnit.SECONDS);
    assertEquals("<h1>hello</h1>", html.getData().get("index.html"));
    assertOwnedBy(html, created);
    Deployment d = deploy.waitUntilCondition(x -> x != null, WAIT, TimeUnit.SECONDS);
    assertEquals(2, d.getSpec().getReplicas());
    assertOwnedBy(d, created);
    WebPage reconciled = pages.withName("home").waitUntilCondition(p -> p.getStatus() != null
        && Long.valueOf(1).equals(p.getStatus().getObservedGeneration()), WAIT, TimeUnit.SECONDS);
    assertEquals(WebPageReconciler.hash("<h1>hello</h1>"), reconciled.getStatus().getHtmlHash());
    assertEquals("home", reconciled.getStatus().getDeployment());
    assertEquals(1L, reconciled.getMetadata().getGeneration(), "a status patch does not bump the generation");

    // on update: the page and the replica count follow the spec
    pages.withName("home").edit(p -> {
      p.getSpec().setHtml("<h1>goodbye</h1>");
      p.getSpec().setReplicas(3);
      return p;
    });
    cm.waitUntilCondition(c -> c != null && "<h1>goodbye</h1>".equals(c.getData().get("index.html")), WAIT,
        TimeUnit.SECONDS);
    Deployment scaled = deploy.waitUntilCondition(x -> x != null && x.getSpec().getReplicas() == 3, WAIT,
        TimeUnit.SECONDS);
    assertEquals(WebPageReconciler.hash("<h1>goodbye</h1>"),
        scaled.getSpec().getTemplate().getMetadata().getAnnotations().get(WebPageReconciler.HASH_ANNOTATION));
    WebPage updated = pages.withName("home").waitUntilCondition(p -> p.getStatus() != null
        && Long.valueOf(2).equals(p.getStatus().getObservedGeneration()), WAIT, TimeUnit.SECONDS);
    assertEquals(WebPageReconciler.hash("<h1>goodbye</h1>"), updated.getStatus().getHtmlHash());

    // an owned object deleted by hand is put back (the operator watches what it owns)
    String oldUid = cm.get().getMetadata().getUid();
    cm.delete();
    ConfigMap back = cm.waitUntilCondition(c -> c != null && !oldUid.equals(c.getMetadata().getUid()), WAIT,
        TimeUnit.SECONDS);
    assertEquals("<h1>goodbye</h1>", back.getData().get("index.html"));
    assertNotEquals(oldUid, back.getMetadata().getUid());

    // deleting the WebPage garbage-collects its ConfigMap and Deployment (and the Deployment's ReplicaSets)
    pages.withName("home").delete();
    cm.waitUntilCondition(c -> c == null, WAIT, TimeUnit.SECONDS);
    deploy.waitUntilCondition(x -> x == null, WAIT, TimeUnit.SECONDS);
    pages.withName("home").waitUntilCondition(p -> p == null, WAIT, TimeUnit.SECONDS);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
    while (!cluster.client.apps().replicaSets().inNamespace(ns).list().getItems().isEmpty()) {
      assertTrue(System.nanoTime() < deadline, "the Deployment's ReplicaSets were not collected");
      Thread.sleep(50);
    }
  }
}
