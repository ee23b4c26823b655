package io.capstan.stateviews.informer;

/**
 * client-go's ResourceEventHandler: what controllers register to hear about changes, usually to
 * enqueue a key. Called on the informer's thread after the cache is updated, per partition in
 * log order; must return quickly.
 */
public interface ResourceEventHandler<T> {
  default void onAdd(T object) {}

  default void onUpdate(T oldObject, T newObject) {}

  /** @param lastKnown the object as the cache last knew it */
  default void onDelete(T lastKnown) {}
}
