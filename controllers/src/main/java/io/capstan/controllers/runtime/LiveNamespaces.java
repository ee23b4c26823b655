package io.capstan.controllers.runtime;

import io.capstan.api.Namespace;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.ResourceEventHandler;
import io.capstan.stateviews.processor.rules.NamespaceRules;
import java.util.function.Consumer;

/** For controllers that keep an object in every namespace: hear of each namespace that is not terminating. */
public final class LiveNamespaces {
  private LiveNamespaces() {}

  /** Calls {@code onNamespace} with the name of each namespace added or updated while it is not terminating. */
  public static void onEach(Informer<Namespace> namespaces, Consumer<String> onNamespace) {
    namespaces.addHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Namespace ns) {
        heard(ns);
      }

      @Override
      public void onUpdate(Namespace old, Namespace ns) {
        heard(ns);
      }

      private void heard(Namespace ns) {
        if (!NamespaceRules.isTerminating(ns)) {
          onNamespace.accept(ns.getMetadata().getName());
        }
      }
    });
  }
}
