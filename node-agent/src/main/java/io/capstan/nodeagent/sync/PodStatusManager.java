package io.capstan.nodeagent.sync;

import io.capstan.api.Pod;
import io.capstan.api.PodStatus;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandResult;
import io.capstan.nodeagent.connection.LogConnection;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * kubelet's status manager: the pod workers hand it each pod's latest status and go on; it sends
 * them with {@code updateStatus} on its own, so a sync never waits for the cluster's log. It keeps
 * one status per pod, the latest (a newer one replaces one not yet sent, so memory is bounded by
 * the node's pods, however long the log is away), and at most one write per pod in flight, so a
 * pod's statuses are stored in the order they were made. Pods waiting are sent in the order
 * their statuses changed.
 *
 * <p>While the {@link LogConnection} says the log is away only the oldest waiting status is sent,
 * as the probe of the log (the command client re-sends it on its own schedule), instead of a
 * write per pod that would each time out; the first answer to any write of the agent sends all
 * that waits.
 */
final class PodStatusManager {
  private static final Logger log = LoggerFactory.getLogger(PodStatusManager.class);

  /** Least time between two writes that probe an absent log. */
  static final Duration UNANSWERED_PAUSE = Duration.ofSeconds(5);

  private final String nodeName;
  private final CommandClient client;
  private final LogConnection connection;
  private final ScheduledExecutorService timers;
  private final Clock clock;
  private final Consumer<PodState> settled;
  /** Pods whose kept status is not stored yet, in the order their statuses changed. Guarded by this. */
  private final LinkedHashSet<PodState> waiting = new LinkedHashSet<>();
  /** Writes in flight (guarded by this); while the log is away, at most one. */
  private int inFlight;
  private volatile boolean closed;

  /**
   * @param settled told (on a client thread; must not block) when the cluster stored or refused a pod's kept status
   */
  PodStatusManager(String nodeName, CommandClient client, LogConnection connection, ScheduledExecutorService timers,
      Clock clock, Consumer<PodState> settled) {
    this.nodeName = nodeName;
    this.client = client;
    this.connection = connection;
    this.timers = timers;
    this.clock = clock;
    this.settled = settled;
    connection.onReachableAgain(this::flush);
  }

  /** Keeps {@code status} as the pod's latest and sends it when it can. */
  void set(PodState s, PodStatus status) {
    synchronized (this) {
      s.kept = status;
      s.keptVersion++;
      waiting.add(s); // a pod already waiting keeps its place
    }
    flush();
  }

  /** Forgets a pod that is gone from the API: its status has nowhere to go. */
  synchronized void forget(PodState s) {
    waiting.remove(s);
  }

  /** Statuses kept and not stored yet (the {@code capstan_node_agent_pod_statuses_waiting} gauge). */
  synchronized int waiting() {
    return waiting.size();
  }

  void close() {
    closed = true;
  }

  /** Sends what waits: every pod's status while the log answers, the oldest alone while it does not. */
  void flush() {
    List<PodState> send = new ArrayList<>();
    synchronized (this) {
      if (closed) {
        return;
      }
      boolean reachable = connection.reachable();
      for (PodState s : waiting) {
        if (!reachable && inFlight > 0) {
          break;
        }
        if (!s.statusInFlight) {
          s.statusInFlight = true;
          inFlight++;
          send.add(s);
        }
      }
    }
    send.forEach(this::send);
  }

  private void send(PodState s) {
    PodStatus status;
    long version;
    synchronized (this) {
      status = s.kept;
      version = s.keptVersion;
    }
    Pod copy = Pod.newBuilder(s.pod).build();
    copy.getMetadata().setResourceVersion(null);
    copy.setStatus(status);
    java.util.concurrent.CompletableFuture<CommandResult> write;
    try {
      write = client.updateStatus(copy);
    } catch (RuntimeException e) {
      done(s, status, version, null, e);
      return;
    }
    write.whenComplete((r, e) -> done(s, status, version, r, e));
  }

  private void done(PodState s, PodStatus status, long version, CommandResult r, Throwable e) {
    boolean stored = false;
    boolean retryLater = false;
    synchronized (this) {
      s.statusInFlight = false;
      inFlight--;
      if (r instanceof CommandResult.Accepted a) {
        s.lastSent = status;
        s.lastSentRv = a.resourceVersion();
        s.lastSentAt = clock.instant();
        if (s.keptVersion == version) {
          waiting.remove(s);
          stored = true;
        }
      } else if (r instanceof CommandResult.Rejected) {
        s.lastRefused = status;
        retryLater = true;
      }
    }
    if (r != null) {
      connection.answered();
    } else if (!connection.unanswered(e)) {
      log.debug("status of pod {} not stored yet: {}", s.describe(), e.toString());
    }
    if (r instanceof CommandResult.Rejected rej) {
      log.warn("status of pod {} refused: {}", s.describe(), rej.status().getMessage());
    }
    if (stored || retryLater) {
      settled.accept(s);
    }
    if (retryLater) {
      // As the worker's retry did: the refused pod is sent again in a second, the others now.
      synchronized (this) {
        waiting.remove(s);
      }
      schedule(() -> {
        synchronized (this) {
          if (!closed && !s.removedFromApi && s.kept != null && s.lastSent != s.kept) {
            waiting.add(s);
          }
        }
        flush();
      }, PodSyncLoop.RETRY);
    }
    if (r == null) {
      // Unanswered: the next probe of the log after a pause, should the client ever fail at once
      // (an answer to any other write of the agent sends everything sooner).
      schedule(this::flush, UNANSWERED_PAUSE);
    } else {
      flush();
    }
  }

  private void schedule(Runnable r, Duration after) {
    try {
      timers.schedule(r, after.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // stopping: nothing more is sent
    }
  }

  @Override
  public String toString() {
    return "pod status manager of node " + nodeName;
  }
}
