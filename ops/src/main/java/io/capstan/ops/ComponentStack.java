package io.capstan.ops;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The components of one process, started one after the other (each ready before the next
 * starts, as later ones depend on earlier ones) and closed in reverse order.
 */
final class ComponentStack implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ComponentStack.class);

  private final Progress progress;
  private final Duration readyTimeout;
  private final Deque<Component> started = new ArrayDeque<>();
  private boolean closed;

  ComponentStack(Progress progress, Duration readyTimeout) {
    this.progress = progress;
    this.readyTimeout = readyTimeout;
  }

  /**
   * Starts a component and waits until it is ready. On failure the component itself is closed
   * (the earlier ones stay for {@link #close()}) and the failure is rethrown with its name.
   */
  synchronized <C extends Component> C start(C component) {
    if (closed) {
      throw new IllegalStateException("shutting down: not starting " + component.name());
    }
    progress.line(component.startLine());
    started.push(component);
    try {
      component.start();
      component.awaitReady(readyTimeout);
    } catch (RuntimeException e) {
      started.pop();
      closeQuietly(component);
      throw new IllegalStateException(component.name() + " failed to start: " + e.getMessage(), e);
    }
    progress.line(component.readyLine());
    return component;
  }

  /** Closes every started component, last started first; one failing to close does not stop the rest. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    while (!started.isEmpty()) {
      Component c = started.pop();
      log.info("stopping {}", c.name());
      closeQuietly(c);
      String stopped = c.stoppedLine();
      if (stopped != null) {
        progress.line(stopped);
      }
    }
  }

  /** Closes the stack when the JVM exits some other way than the normal return (SIGHUP, System.exit). */
  ComponentStack closeOnJvmExit() {
    Runtime.getRuntime().addShutdownHook(new Thread(this::close, "capstan-shutdown"));
    return this;
  }

  private static void closeQuietly(Component c) {
    try {
      c.close();
    } catch (RuntimeException e) {
      log.error("stopping {} failed", c.name(), e);
    }
  }
}
