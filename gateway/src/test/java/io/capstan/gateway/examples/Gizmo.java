package io.capstan.gateway.examples;

import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Version;

/** {@code gizmos.typed.capstan.io/v1}: a typed fabric8 custom resource with a status subresource. */
@Group("typed.capstan.io")
@Version("v1")
@Plural("gizmos")
public class Gizmo extends CustomResource<Gizmo.Spec, Gizmo.Status> implements Namespaced {
  public static class Spec {
    private String color;
    private Integer size;

    public String getColor() {
      return color;
    }

    public void setColor(String color) {
      this.color = color;
    }

    public Integer getSize() {
      return size;
    }

    public void setSize(Integer size) {
      this.size = size;
    }
  }

  public static class Status {
    private String phase;

    public String getPhase() {
      return phase;
    }

    public void setPhase(String phase) {
      this.phase = phase;
    }
  }

  static Gizmo of(String name, String color, int size) {
    Gizmo g = new Gizmo();
    g.getMetadata().setName(name);
    g.getMetadata().setLabels(java.util.Map.of("app", "gizmo"));
    g.setSpec(new Spec());
    g.getSpec().setColor(color);
    g.getSpec().setSize(size);
    return g;
  }

  static final String DEFINITION = """
      apiVersion: apiextensions.k8s.io/v1
      kind: CustomResourceDefinition
      metadata:
        name: gizmos.typed.capstan.io
      spec:
        group: typed.capstan.io
        scope: Namespaced
        names: {plural: gizmos, singular: gizmo, kind: Gizmo}
        versions:
        - name: v1
          served: true
          storage: true
          subresources: {status: {}}
          schema:
            openAPIV3Schema:
              type: object
              properties:
                spec:
                  type: object
                  properties:
                    color: {type: string}
                    size: {type: integer}
                status:
                  type: object
                  properties:
                    phase: {type: string}
      """;
}
