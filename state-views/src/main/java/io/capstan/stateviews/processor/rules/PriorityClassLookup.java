package io.capstan.stateviews.processor.rules;

import io.capstan.api.PriorityClass;
import java.util.Collection;
import java.util.Optional;

/** The PriorityClasses pod admission resolves {@code priorityClassName} against (as the Priority plugin's lister). */
public interface PriorityClassLookup {
  Optional<PriorityClass> find(String name);

  Collection<PriorityClass> all();

  /** No classes at all: only the built-in system ones resolve. */
  PriorityClassLookup NONE = new PriorityClassLookup() {
    @Override
    public Optional<PriorityClass> find(String name) {
      return Optional.empty();
    }

    @Override
    public Collection<PriorityClass> all() {
      return java.util.List.of();
    }
  };
}
