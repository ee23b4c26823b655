package io.capstan.gateway.examples;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The WebPage operator: a ConfigMap holding the page and a Deployment serving it, both owned by the
 * WebPage (so the garbage collector removes them with it), kept as the spec says; the status
 * (through the status subresource) says what was last reconciled. Owned objects are watched, by
 * label, so a ConfigMap edited or deleted by hand is put back.
 */
@ControllerConfiguration
public class WebPageReconciler implements Reconciler<WebPage> {
  public static final String LABEL = "examples.capstan.io/webpage";
  public static final String HASH_ANNOTATION = "examples.capstan.io/html-hash";

  @Override
  public List<EventSource<?, WebPage>> prepareEventSources(EventSourceContext<WebPage> context) {
    return List.of(
        new InformerEventSource<>(InformerEventSourceConfiguration.from(ConfigMap.class, WebPage.class)
            .withName("configmaps").withLabelSelector(LABEL)
            .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(WebPage.class)).build(), context),
        new InformerEventSource<>(InformerEventSourceConfiguration.from(Deployment.class, WebPage.class)
            .withName("deployments").withLabelSelector(LABEL)
            .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(WebPage.class)).build(), context));
  }

  @Override
  public UpdateControl<WebPage> reconcile(WebPage page, Context<WebPage> context) {
    KubernetesClient client = context.getClient();
    String ns = page.getMetadata().getNamespace();
    String name = page.getMetadata().getName();
    String html = page.getSpec().getHtml();
    int replicas = page.getSpec().getReplicas() == null ? 1 : page.getSpec().getReplicas();
    String hash = hash(html);
    Map<String, String> labels = Map.of(LABEL, name);

    ConfigMap cm = context.getSecondaryResource(ConfigMap.class).orElse(null);
    if (cm == null) {
      client.configMaps().inNamespace(ns).resource(new ConfigMapBuilder()
          .withNewMetadata().withName(name + "-html").withLabels(labels).withOwnerReferences(owner(page)).endMetadata()
          .addToData("index.html", html).build()).create();
    } else if (!Objects.equals(cm.getData() == null ? null : cm.getData().get("index.html"), html)) {
      client.configMaps().inNamespace(ns).resource(new ConfigMapBuilder(cm).withData(Map.of("index.html", html)).build())
          .update();
    }

    Deployment d = context.getSecondaryResource(Deployment.class).orElse(null);
    if (d == null) {
      client.apps().deployments().inNamespace(ns).resource(new DeploymentBuilder()
          .withNewMetadata().withName(name).withLabels(labels).withOwnerReferences(owner(page)).endMetadata()
          .withNewSpec().withReplicas(replicas).withNewSelector().withMatchLabels(labels).endSelector()
          .withNewTemplate().withNewMetadata().withLabels(labels).addToAnnotations(HASH_ANNOTATION, hash).endMetadata()
          .withNewSpec().addNewContainer().withName("web").withImage("nginx:1.27")
          .addNewVolumeMount().withName("html").withMountPath("/usr/share/nginx/html").endVolumeMount().endContainer()
          .addNewVolume().withName("html").withNewConfigMap().withName(name + "-html").endConfigMap().endVolume()
          .endSpec().endTemplate().endSpec().build()).create();
    } else if (!Objects.equals(d.getSpec().getReplicas(), replicas)
        || !hash.equals(d.getSpec().getTemplate().getMetadata().getAnnotations().get(HASH_ANNOTATION))) {
      // a new page rolls the pods (as a changed template does); a new replica count scales
      Deployment changed = new DeploymentBuilder(d).editSpec().withReplicas(replicas).editTemplate().editMetadata()
          .addToAnnotations(HASH_ANNOTATION, hash).endMetadata().endTemplate().endSpec().build();
      client.apps().deployments().inNamespace(ns).resource(changed).update();
    }

    WebPage.Status status = new WebPage.Status();
    status.setObservedGeneration(page.getMetadata().getGeneration());
    status.setConfigMap(name + "-html");
    status.setDeployment(name);
    status.setHtmlHash(hash);
    page.setStatus(status);
    return UpdateControl.patchStatus(page);
  }

  private static OwnerReference owner(WebPage page) {
    return new OwnerReferenceBuilder().withApiVersion(page.getApiVersion()).withKind(page.getKind())
        .withName(page.getMetadata().getName()).withUid(page.getMetadata().getUid())
        .withController(true).withBlockOwnerDeletion(true).build();
  }

  static String hash(String html) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(html.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
