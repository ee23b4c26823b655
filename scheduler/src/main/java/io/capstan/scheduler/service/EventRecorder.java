package io.capstan.scheduler.service;

import io.capstan.api.Event;
import io.capstan.api.EventSource;
import io.capstan.api.ObjectMeta;
import io.capstan.api.ObjectReference;
import io.capstan.api.Pod;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandResult;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes core/v1 Events about pods through the command client, as client-go's recorder does: a
 * repeat of the same reason and message for the same pod bumps {@code count} and
 * {@code lastTimestamp} of the existing Event instead of creating another (the event correlator's
 * aggregation), so a pod that keeps failing leaves one Event, not thousands.
 */
final class EventRecorder {
  private static final Logger log = LoggerFactory.getLogger(EventRecorder.class);
  static final String COMPONENT = "default-scheduler";

  private final CommandClient client;
  private final Clock clock;
  private final String component;
  /** The last event per pod uid/key and reason. */
  private final Map<String, Event> last = new ConcurrentHashMap<>();

  EventRecorder(CommandClient client, Clock clock, String component) {
    this.client = client;
    this.clock = clock;
    this.component = component;
  }

  void record(Pod pod, String type, String reason, String message) {
    Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    String ns = pod.getMetadata().getNamespace();
    String key = ns + "/" + pod.getMetadata().getName() + "/" + pod.getMetadata().getUid() + "/" + reason;
    Event previous = last.get(key);
    Event event;
    boolean repeat = previous != null && message.equals(previous.getMessage());
    if (repeat) {
      event = Event.newBuilder(previous).setCount(previous.getCount() + 1).setLastTimestamp(now.toString()).build();
      event.getMetadata().setResourceVersion(null);
    } else {
      event = Event.newBuilder()
          // The recorder's naming: the object's name and the time in hex nanoseconds.
          .setMetadata(ObjectMeta.newBuilder().setNamespace(ns)
              .setName(pod.getMetadata().getName() + "." + Long.toHexString(nanos(clock.instant()))).build())
          .setInvolvedObject(ObjectReference.newBuilder().setKind("Pod").setApiVersion("v1").setNamespace(ns)
              .setName(pod.getMetadata().getName()).setUid(pod.getMetadata().getUid())
              .setResourceVersion(pod.getMetadata().getResourceVersion()).build())
          .setReason(reason).setMessage(message).setType(type).setCount(1)
          .setFirstTimestamp(now.toString()).setLastTimestamp(now.toString())
          .setSource(EventSource.newBuilder().setComponent(component).build())
          .setReportingComponent(component)
          .build();
    }
    if ("Warning".equals(type)) {
      // Only failures repeat; remembering every Scheduled event would keep one per pod forever.
      last.put(key, event);
    }
    (repeat ? client.update(event) : client.create(event)).whenComplete((r, e) -> {
      if (e != null) {
        log.warn("event {} for pod {}/{} not written: {}", reason, ns, pod.getMetadata().getName(), e.toString());
      } else if (r instanceof CommandResult.Rejected rej) {
        log.warn("event {} for pod {}/{} refused: {}", reason, ns, pod.getMetadata().getName(), rej.status().getMessage());
        last.remove(key, event);
      }
    });
  }

  /** Forgets a pod's events (it was deleted or bound). */
  void forget(Pod pod) {
    String prefix = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName() + "/";
    last.keySet().removeIf(k -> k.startsWith(prefix));
  }

  private static long nanos(Instant t) {
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }
}
