package io.capstan.stateviews.informer;

import io.capstan.logschema.kinds.Kind;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One informer per kind for a whole component (client-go's SharedInformerFactory): every
 * controller of a controller-manager asks for the Pod informer and gets the same one, so the
 * state topic is read and cached once.
 *
 * <pre>{@code
 * SharedInformers informers = new SharedInformers(InformerConfig.defaults(kafka, layout, "controllers"), registry);
 * Informer<Pod> pods = informers.informerFor(Kinds.POD, Pod.class);
 * Informer<ReplicaSet> sets = informers.informerFor(Kinds.REPLICA_SET, ReplicaSet.class);
 * informers.start();
 * informers.awaitSynced(Duration.ofMinutes(1));
 * }</pre>
 */
public final class SharedInformers implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SharedInformers.class);

  private final InformerConfig config;
  private final MeterRegistry registry;
  private final Map<String, Informer<?>> informers = new LinkedHashMap<>();
  private boolean closed;

  public SharedInformers(InformerConfig config, MeterRegistry registry) {
    if (config == null || registry == null) {
      throw new IllegalArgumentException("shared informers need a config and a meter registry");
    }
    this.config = config;
    this.registry = registry;
  }

  /**
   * The informer of a kind, created on first request (not started: {@link #start()} starts it,
   * or it may be started by hand). Callers that ask again get the same instance.
   *
   * @param type the kind's generated class, or a supertype such as {@code SpecificRecord}
   */
  @SuppressWarnings("unchecked")
  public synchronized <T extends SpecificRecord> Informer<T> informerFor(Kind kind, Class<T> type) {
    if (closed) {
      throw new IllegalStateException("shared informers of " + config.component() + " are closed");
    }
    Informer<?> existing = informers.get(kind.kind());
    if (existing == null) {
      Informer<T> created = new Informer<>(config, kind, type, registry);
      informers.put(kind.kind(), created);
      return created;
    }
    Class<?> generated = org.apache.avro.specific.SpecificData.get().getClass(kind.schema());
    if (!type.isAssignableFrom(generated)) {
      throw new IllegalArgumentException("an informer of " + kind.kind() + " holds " + generated.getName()
          + " objects, not " + type.getName());
    }
    return (Informer<T>) existing; // same kind, same generated class: the cast holds
  }

  /** Starts every informer created and not started yet; informers asked for later start on the next call. */
  public synchronized void start() {
    for (Informer<?> i : informers.values()) {
      if (!i.isStarted()) {
        i.start();
      }
    }
  }

  /** Waits until every informer has synced; false on timeout (which informers lag is logged). */
  public boolean awaitSynced(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<Informer<?>> all;
    synchronized (this) {
      all = new ArrayList<>(informers.values());
    }
    for (Informer<?> i : all) {
      long left = Math.max(0, deadline - System.nanoTime());
      if (!i.awaitSynced(Duration.ofNanos(left))) {
        log.warn("informer of {} did not sync within {}", i.kind().kind(), timeout);
        return false;
      }
    }
    return true;
  }

  /** The informers created so far, by kind name. */
  public synchronized Map<String, Informer<?>> informers() {
    return Map.copyOf(informers);
  }

  @Override
  public synchronized void close() {
    closed = true;
    for (Informer<?> i : informers.values()) {
      i.close();
    }
  }
}
