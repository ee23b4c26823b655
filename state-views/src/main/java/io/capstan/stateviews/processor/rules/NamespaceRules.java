package io.capstan.stateviews.processor.rules;

import io.capstan.api.Namespace;
import io.capstan.api.NamespaceSpec;
import io.capstan.api.NamespaceStatus;
import java.util.ArrayList;
import java.util.List;

/**
 * Namespace lifecycle as kube-apiserver's namespace registry runs it: a new namespace is
 * {@code Active} and carries the {@code kubernetes} spec finalizer; deleting it marks it
 * {@code Terminating}. It leaves the store only once the namespace controller has emptied the
 * namespace and cleared {@code spec.finalizers} (an update), or on a delete after that.
 */
public final class NamespaceRules {
  public static final String KUBERNETES_FINALIZER = "kubernetes";
  public static final String ACTIVE = "Active";
  public static final String TERMINATING = "Terminating";

  private NamespaceRules() {}

  /** Status Active (a client's status is ignored) and the {@code kubernetes} finalizer present. */
  public static void prepareForCreate(Namespace ns) {
    ns.setStatus(NamespaceStatus.newBuilder().setPhase(ACTIVE).build());
    NamespaceSpec spec = ns.getSpec() == null ? NamespaceSpec.newBuilder().build() : ns.getSpec();
    List<String> finalizers = spec.getFinalizers() == null ? new ArrayList<>() : new ArrayList<>(spec.getFinalizers());
    if (!finalizers.contains(KUBERNETES_FINALIZER)) {
      finalizers.add(KUBERNETES_FINALIZER);
    }
    spec.setFinalizers(finalizers);
    ns.setSpec(spec);
  }

  public static boolean hasSpecFinalizers(Namespace ns) {
    return ns.getSpec() != null && ns.getSpec().getFinalizers() != null && !ns.getSpec().getFinalizers().isEmpty();
  }

  /** Being deleted: no new content may be created in it. */
  public static boolean isTerminating(Namespace ns) {
    return ns.getMetadata().getDeletionTimestamp() != null
        || (ns.getStatus() != null && TERMINATING.equals(ns.getStatus().getPhase()));
  }

  public static void markTerminating(Namespace ns) {
    NamespaceStatus status = ns.getStatus() == null ? NamespaceStatus.newBuilder().build() : ns.getStatus();
    status.setPhase(TERMINATING);
    ns.setStatus(status);
  }
}
