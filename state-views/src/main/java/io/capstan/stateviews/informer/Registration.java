package io.capstan.stateviews.informer;

/** A registered handler; closing it stops delivery. */
@FunctionalInterface
public interface Registration extends AutoCloseable {
  @Override
  void close();
}
