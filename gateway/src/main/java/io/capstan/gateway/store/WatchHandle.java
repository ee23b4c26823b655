package io.capstan.gateway.store;

/** Stops a watch; idempotent. */
@FunctionalInterface
public interface WatchHandle extends AutoCloseable {
  @Override
  void close();
}
