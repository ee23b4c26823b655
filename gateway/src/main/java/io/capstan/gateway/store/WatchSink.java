package io.capstan.gateway.store;

import java.util.function.Consumer;

/**
 * Where a watch's events go when the client's connection can push back: the store hands it
 * events only while it is {@link #ready}, and keeps the rest in the watch's bounded buffer
 * meanwhile, as kube-apiserver's watch handler takes an event from the cacheWatcher only when
 * the previous one is written. A sink that is not ready receives only the {@link WatchEvent.End}
 * or {@link WatchEvent.Error} that ends the watch.
 */
public interface WatchSink extends Consumer<WatchEvent> {
  /** Whether the connection takes another event now. Called from any thread. */
  boolean ready();

  /**
   * Runs {@code resume} once, on any thread, as soon as the connection is {@link #ready} again
   * (at once when it already is). A later call replaces an earlier one not yet run.
   */
  void onReady(Runnable resume);

  /** A sink that never pushes back. */
  static WatchSink of(Consumer<WatchEvent> consumer) {
    if (consumer instanceof WatchSink s) {
      return s;
    }
    return new WatchSink() {
      @Override
      public void accept(WatchEvent e) {
        consumer.accept(e);
      }

      @Override
      public boolean ready() {
        return true;
      }

      @Override
      public void onReady(Runnable resume) {
        resume.run();
      }
    };
  }
}
