package io.capstan.controllers.runtime;

import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodSpec;
import io.capstan.api.PodTemplateSpec;
import io.capstan.logschema.kinds.Kind;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificData;

/** Stamping pods out of a template (controller.GetPodFromTemplate). */
public final class PodTemplates {
  private PodTemplates() {}

  /**
   * A new pod from the template: the template's labels, annotations and finalizers, a name
   * generated from {@code <owner>-}, and a controller reference to the owner. The template is
   * copied, never shared with the cache.
   */
  public static Pod podFor(PodTemplateSpec template, Kind ownerKind, ObjectMeta owner, Map<String, String> extraLabels) {
    ObjectMeta tm = template == null ? null : template.getMetadata();
    Map<String, String> labels = new HashMap<>();
    if (tm != null && tm.getLabels() != null) {
      labels.putAll(tm.getLabels());
    }
    labels.putAll(extraLabels);
    ObjectMeta meta = ObjectMeta.newBuilder()
        .setNamespace(owner.getNamespace())
        .setGenerateName(owner.getName() + "-")
        .setLabels(labels)
        .setAnnotations(tm == null || tm.getAnnotations() == null ? null : new HashMap<>(tm.getAnnotations()))
        .setFinalizers(tm == null || tm.getFinalizers() == null ? null : List.copyOf(tm.getFinalizers()))
        .setOwnerReferences(List.of(OwnerRefs.controllerRef(ownerKind, owner)))
        .build();
    PodSpec spec = template == null || template.getSpec() == null ? null
        : SpecificData.get().deepCopy(PodSpec.getClassSchema(), template.getSpec());
    return Pod.newBuilder().setMetadata(meta).setSpec(spec).build();
  }

  public static <T> T copy(T record) {
    @SuppressWarnings("unchecked")
    T c = (T) SpecificData.get().deepCopy(((org.apache.avro.specific.SpecificRecord) record).getSchema(), record);
    return c;
  }
}
