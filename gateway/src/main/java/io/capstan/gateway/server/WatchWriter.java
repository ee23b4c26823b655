package io.capstan.gateway.server;

import io.capstan.gateway.store.WatchEvent;
import io.capstan.gateway.store.WatchSink;
import io.vertx.core.Context;
import io.vertx.core.streams.WriteStream;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * A watch's events onto its HTTP response or WebSocket, with the connection's back-pressure:
 * written on the request's event loop, and not {@link #ready} while Vert.x's write queue is full
 * (the client reads slowly) or a few events are still on their way to the event loop, so the
 * watch cache keeps the rest in the watch's bounded buffer instead of the connection queueing
 * without end.
 */
final class WatchWriter implements WatchSink {
  /** Events handed to the event loop and not written yet, at most. */
  static final int MAX_IN_FLIGHT = 16;

  private final Context context;
  private final WriteStream<?> stream;
  private final Consumer<WatchEvent> write;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicReference<Runnable> waiting = new AtomicReference<>();
  /** Set on the event loop while the write queue is full, until its drain handler runs. */
  private volatile boolean congested;

  /**
   * @param stream where {@code write} writes, for its write queue
   * @param write  writes one event, on the event loop of {@code context}
   */
  WatchWriter(Context context, WriteStream<?> stream, Consumer<WatchEvent> write) {
    this.context = context;
    this.stream = stream;
    this.write = write;
  }

  @Override
  public void accept(WatchEvent e) {
    inFlight.incrementAndGet();
    context.runOnContext(v -> {
      try {
        write.accept(e);
      } finally {
        inFlight.decrementAndGet();
        if (!congested && writeQueueFull()) {
          congested = true;
          stream.drainHandler(x -> {
            congested = false;
            wake();
          });
        }
        if (!congested) {
          wake();
        }
      }
    });
  }

  @Override
  public boolean ready() {
    return !congested && inFlight.get() < MAX_IN_FLIGHT;
  }

  @Override
  public void onReady(Runnable resume) {
    waiting.set(resume);
    if (ready()) {
      wake();
    }
  }

  private void wake() {
    Runnable r = waiting.getAndSet(null);
    if (r != null) {
      r.run();
    }
  }

  private boolean writeQueueFull() {
    try {
      return stream.writeQueueFull();
    } catch (IllegalStateException ended) {
      return false; // the response is over: nothing more is written anyway
    }
  }
}
