package io.capstan.controllers.runtime;

import io.capstan.api.Event;
import io.capstan.api.EventSource;
import io.capstan.api.ObjectMeta;
import io.capstan.api.ObjectReference;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kind;
import java.time.Clock;
import java.time.Instant;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records Kubernetes Events about the objects a controller acts on (client-go's EventRecorder),
 * so {@code kubectl describe} tells the story: {@code SuccessfulCreate}, {@code ScalingReplicaSet},
 * {@code Completed}, … Each is a core/v1 Event in the object's namespace named
 * {@code <object>.<hex nanos>} as client-go names them. Fire and forget: an Event that cannot be
 * written is logged, never retried, and never fails the reconcile.
 */
public final class EventRecorder {
  private static final Logger log = LoggerFactory.getLogger(EventRecorder.class);
  public static final String NORMAL = "Normal";
  public static final String WARNING = "Warning";

  private final ObjectWriter writer;
  private final String component;
  private final Clock clock;

  public EventRecorder(ObjectWriter writer, String component, Clock clock) {
    this.writer = Objects.requireNonNull(writer, "writer");
    this.component = Objects.requireNonNull(component, "component");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  public void normal(Kind kind, ObjectMeta involved, String reason, String message) {
    record(kind, involved, NORMAL, reason, message);
  }

  public void warning(Kind kind, ObjectMeta involved, String reason, String message) {
    record(kind, involved, WARNING, reason, message);
  }

  public void record(Kind kind, ObjectMeta involved, String type, String reason, String message) {
    Instant now = clock.instant();
    long nanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
    String ns = involved.getNamespace() == null || involved.getNamespace().isEmpty() ? "default" : involved.getNamespace();
    Event e = Event.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace(ns)
            .setName(involved.getName() + "." + Long.toHexString(nanos)).build())
        .setInvolvedObject(ObjectReference.newBuilder().setKind(kind.kind()).setApiVersion(kind.apiVersion())
            .setNamespace(involved.getNamespace()).setName(involved.getName()).setUid(involved.getUid())
            .setResourceVersion(involved.getResourceVersion()).build())
        .setReason(reason)
        .setMessage(message)
        .setType(type)
        .setSource(EventSource.newBuilder().setComponent(component).build())
        .setReportingComponent(component)
        .setFirstTimestamp(now.toString())
        .setLastTimestamp(now.toString())
        .setCount(1)
        .build();
    writer.createAsync(e).whenComplete((r, err) -> {
      if (err != null) {
        log.debug("event {} {} on {}/{} not recorded: {}", reason, message, ns, involved.getName(), err.toString());
      } else if (r instanceof CommandResult.Rejected rej) {
        log.debug("event {} on {}/{} refused: {}", reason, ns, involved.getName(), rej.status().getMessage());
      }
    });
  }
}
