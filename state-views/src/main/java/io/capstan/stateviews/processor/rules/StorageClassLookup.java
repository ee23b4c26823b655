package io.capstan.stateviews.processor.rules;

import io.capstan.api.StorageClass;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/** The StorageClasses claim admission reads (as the DefaultStorageClass and resize plugins' lister). */
public interface StorageClassLookup {
  Optional<StorageClass> find(String name);

  Collection<StorageClass> all();

  /** No classes: claims keep the class they name, and none gets a default. */
  StorageClassLookup NONE = new StorageClassLookup() {
    @Override
    public Optional<StorageClass> find(String name) {
      return Optional.empty();
    }

    @Override
    public Collection<StorageClass> all() {
      return List.of();
    }
  };
}
