package io.capstan.stateviews.processor.rules;

import io.capstan.api.Namespace;
import java.util.Optional;

/** Finds the Namespace a namespaced object is created in. */
@FunctionalInterface
public interface NamespaceLookup {
  Optional<Namespace> find(String name);
}
