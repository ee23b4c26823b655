package io.capstan.controllers.runtime;

import java.time.Duration;

/**
 * How long an item waits before it is retried (client-go's workqueue.RateLimiter). {@link #when}
 * records one more failure of the item; {@link #forget} clears its history once it succeeded.
 */
public interface RateLimiter {
  Duration when(String item);

  void forget(String item);

  /** How many times the item failed since it was last forgotten. */
  int numRequeues(String item);
}
