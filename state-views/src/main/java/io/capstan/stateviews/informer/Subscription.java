package io.capstan.stateviews.informer;

/**
 * A listener registered together with the snapshot it continues from: the listener receives
 * exactly the changes applied after {@link #snapshot()}, none missed and none repeated.
 */
public interface Subscription<T> extends AutoCloseable {
  Snapshot<T> snapshot();

  /** Stops delivery to the listener. */
  @Override
  void close();
}
