package io.capstan.stateviews.informer;

/**
 * Receives every change an informer applies, per partition in log order, on the informer's
 * thread right after the cache is updated: what a watch cache builds on. Must return quickly;
 * hand slow work to a queue.
 */
public interface StateListener<T> {
  void onChange(Change<T> change);

  /**
   * The partition is now closed at {@code closedResourceVersion}: every change on it up to that rv
   * has been delivered (a watch bookmark). Called when a watermark or record moves it forward.
   */
  default void onProgress(int partition, long closedResourceVersion) {}
}
