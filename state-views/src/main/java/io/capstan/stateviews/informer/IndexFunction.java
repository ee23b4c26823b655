package io.capstan.stateviews.informer;

import java.util.Collection;

/**
 * The values an object is indexed under in one named index (client-go's IndexFunc): an object
 * can have none (it is not in the index), one (its namespace) or several (its labels).
 */
@FunctionalInterface
public interface IndexFunction<T> {
  Collection<String> valuesOf(T object);
}
