package io.capstan.gateway.examples;

import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Version;

/** {@code webpages.examples.capstan.io/v1}: a page of HTML served by a Deployment of {@code replicas} web servers. */
@Group(WebPage.GROUP)
@Version("v1")
public class WebPage extends CustomResource<WebPage.Spec, WebPage.Status> implements Namespaced {
  public static final String GROUP = "examples.capstan.io";

  public static class Spec {
    private String html;
    private Integer replicas;

    public String getHtml() {
      return html;
    }

    public void setHtml(String html) {
      this.html = html;
    }

    public Integer getReplicas() {
      return replicas;
    }

    public void setReplicas(Integer replicas) {
      this.replicas = replicas;
    }
  }

  public static class Status {
    private Long observedGeneration;
    private String configMap;
    private String deployment;
    private String htmlHash;

    public Long getObservedGeneration() {
      return observedGeneration;
    }

    public void setObservedGeneration(Long observedGeneration) {
      this.observedGeneration = observedGeneration;
    }

    public String getConfigMap() {
      return configMap;
    }

    public void setConfigMap(String configMap) {
      this.configMap = configMap;
    }

    public String getDeployment() {
      return deployment;
    }

    public void setDeployment(String deployment) {
      this.deployment = deployment;
    }

    public String getHtmlHash() {
      return htmlHash;
    }

    public void setHtmlHash(String htmlHash) {
      this.htmlHash = htmlHash;
    }
  }

  /** The definition, as a user would apply it (the status subresource on, printer columns for kubectl). */
  public static final String DEFINITION = """
      apiVersion: apiextensions.k8s.io/v1
      kind: CustomResourceDefinition
      metadata:
        name: webpages.examples.capstan.io
      spec:
        group: examples.capstan.io
        scope: Namespaced
        names: {plural: webpages, singular: webpage, kind: WebPage, shortNames: [wp]}
        versions:
        - name: v1
          served: true
          storage: true
          subresources: {status: {}}
          additionalPrinterColumns:
          - {name: Replicas, type: integer, jsonPath: .spec.replicas}
          - {name: Observed, type: integer, jsonPath: .status.observedGeneration}
          schema:
            openAPIV3Schema:
              type: object
              properties:
                spec:
                  type: object
                  required: [html]
                  properties:
                    html: {type: string}
                    replicas: {type: integer, minimum: 0, default: 1}
                status:
                  type: object
                  properties:
                    observedGeneration: {type: integer}
                    configMap: {type: string}
                    deployment: {type: string}
                    htmlHash: {type: string}
      """;
}
