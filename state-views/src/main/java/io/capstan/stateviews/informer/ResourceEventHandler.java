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

  /**
   * A handler that gives {@code action} the object of every change: the added one, the new
   * version of an updated one, and the last known version of a deleted one (what most
   * controllers do: enqueue its key, or its owner's).
   */
  static <T> ResourceEventHandler<T> onAny(java.util.function.Consumer<? super T> action) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T object) {
        action.accept(object);
      }

      @Override
      public void onUpdate(T oldObject, T newObject) {
        action.accept(newObject);
      }

      @Override
      public void onDelete(T lastKnown) {
        action.accept(lastKnown);
      }
    };
  }
}
