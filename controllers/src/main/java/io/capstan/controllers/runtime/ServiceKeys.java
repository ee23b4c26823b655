package io.capstan.controllers.runtime;

import io.capstan.api.Pod;
import io.capstan.api.Service;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.ResourceEventHandler;
import java.util.Map;

/**
 * What the controllers that follow a Service's pods (Endpoints, EndpointSlices) queue: the
 * Service's key on every change of the Service, and on every change of a pod the keys of the
 * Services whose selector matches the pod as it is or as it was (a relabelled pod leaves one
 * Service and joins another). A Service without a selector selects nothing here: its endpoints
 * are written by hand.
 */
public final class ServiceKeys {
  private ServiceKeys() {}

  /** Registers the handlers that queue Service keys on {@code queue}. */
  public static void follow(Informer<Service> services, Informer<Pod> pods, WorkQueue queue) {
    services.addHandler(ResourceEventHandler.onAny((Service s) -> queue.add(OwnerRefs.key(Kinds.SERVICE, s.getMetadata()))));
    pods.addHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Pod p) {
        enqueueServicesOf(services, queue, p, null);
      }

      @Override
      public void onUpdate(Pod old, Pod p) {
        enqueueServicesOf(services, queue, p, old);
      }

      @Override
      public void onDelete(Pod p) {
        enqueueServicesOf(services, queue, p, null);
      }
    });
  }

  /** Whether a Service's selector picks a pod with these labels (an empty or missing selector picks none). */
  public static boolean selects(Map<String, String> selector, Map<String, String> labels) {
    return selector != null && !selector.isEmpty() && labels.entrySet().containsAll(selector.entrySet());
  }

  private static void enqueueServicesOf(Informer<Service> services, WorkQueue queue, Pod p, Pod old) {
    for (Service s : services.list(p.getMetadata().getNamespace())) {
      Map<String, String> selector = s.getSpec() == null ? null : s.getSpec().getSelector();
      if (selects(selector, PodConditions.labels(p)) || (old != null && selects(selector, PodConditions.labels(old)))) {
        queue.add(OwnerRefs.key(Kinds.SERVICE, s.getMetadata()));
      }
    }
  }
}
