package io.capstan.ops;

import java.time.Duration;

/**
 * One part of a running Capstan process (the broker, the metrics endpoint, the command
 * processor; later the gateway, controllers, scheduler, node agent). A {@link ComponentStack}
 * starts them in order and closes them in reverse.
 */
interface Component extends AutoCloseable {

  /** What the progress lines call it, e.g. {@code command processor}. */
  String name();

  /** Starts the component; may return before it is ready. */
  void start();

  /** Blocks until the component does its job, or throws when {@code timeout} passes first. */
  void awaitReady(Duration timeout);

  /** The line printed as it starts. */
  default String startLine() {
    return "starting " + name() + "…";
  }

  /** The line printed once it is ready. */
  default String readyLine() {
    return name() + " ready";
  }

  /** A line printed once it has stopped, saying what its stop did (e.g. to containers); null for none. */
  default String stoppedLine() {
    return null;
  }

  /** Stops it and releases what it holds; called once, even when start failed half-way. */
  @Override
  void close();
}
