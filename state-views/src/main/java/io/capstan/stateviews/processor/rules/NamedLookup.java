package io.capstan.stateviews.processor.rules;

import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * The objects of one cluster-scoped kind by name, as an admission plugin's lister reads them:
 * the PriorityClasses pod admission resolves {@code priorityClassName} against, the
 * StorageClasses claim admission takes defaults and limits from.
 */
public interface NamedLookup<T> {
  Optional<T> find(String name);

  Collection<T> all();

  /** No objects at all: only the built-in system priority classes resolve, and no claim gets a default class. */
  static <T> NamedLookup<T> none() {
    return new NamedLookup<>() {
      @Override
      public Optional<T> find(String name) {
        return Optional.empty();
      }

      @Override
      public Collection<T> all() {
        return List.of();
      }
    };
  }
}
