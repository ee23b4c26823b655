package io.capstan.nodeagent.events;

import io.capstan.api.Event;
import io.capstan.api.EventSource;
import io.capstan.api.ObjectMeta;
import io.capstan.api.ObjectReference;
import io.capstan.api.Pod;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandResult;
import io.capstan.nodeagent.Times;
import io.capstan.nodeagent.connection.LogConnection;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records core/v1 Events about pods, as kubelet's event recorder: named {@code <pod>.<hex>},
 * source {@code kubelet} on this node, {@code involvedObject} the pod (with {@code fieldPath}
 * {@code spec.containers{name}} for container events). Fire and forget: a lost event is logged,
 * never retried in the pod worker's way; while the cluster's log does not answer, events are not
 * sent at all (counted in {@code capstan_node_agent_events_dropped_total}), as kubelet's event
 * broadcaster drops what its sink cannot take. {@link #about} records events about other objects
 * from another component of the node (the local-path provisioner's about claims).
 */
public final class EventRecorder {
  private static final Logger log = LoggerFactory.getLogger(EventRecorder.class);
  public static final String NORMAL = "Normal";
  public static final String WARNING = "Warning";

  private final CommandClient client;
  private final String nodeName;
  private final Clock clock;
  private final LogConnection connection;
  private final String component;

  public EventRecorder(CommandClient client, String nodeName, Clock clock) {
    this(client, nodeName, clock, null);
  }

  /** @param connection whether the cluster's log answers: while it does not, events are dropped; null: always sent */
  public EventRecorder(CommandClient client, String nodeName, Clock clock, LogConnection connection) {
    this(client, nodeName, clock, connection, "kubelet");
  }

  private EventRecorder(CommandClient client, String nodeName, Clock clock, LogConnection connection,
      String component) {
    this.client = client;
    this.nodeName = nodeName;
    this.clock = clock;
    this.connection = connection;
    this.component = component;
  }

  /** A recorder of the node's component {@code component} (the events' source and reporting component). */
  public static EventRecorder about(CommandClient client, String nodeName, Clock clock, String component) {
    return new EventRecorder(client, nodeName, clock, null, component);
  }


  /**
   * @param fieldPath e.g. {@code spec.containers{web}}; null for the pod itself
   */
  public void record(Pod pod, String fieldPath, String type, String reason, String message) {
    ObjectMeta pm = pod.getMetadata();
    record(ObjectReference.newBuilder().setKind("Pod").setApiVersion("v1").setNamespace(pm.getNamespace())
        .setName(pm.getName()).setUid(pm.getUid()).setFieldPath(fieldPath).build(), type, reason, message);
  }

  /** An event about the object {@code involved} (a namespaced one: the event is in its namespace). */
  public void record(ObjectReference involved, String type, String reason, String message) {
    if (client == null) {
      return;
    }
    if (connection != null && !connection.reachable()) {
      connection.eventDropped();
      return;
    }
    Instant now = clock.instant();
    byte[] suffix = new byte[8];
    ThreadLocalRandom.current().nextBytes(suffix);
    Event e = Event.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace(involved.getNamespace())
            .setName(involved.getName() + "." + HexFormat.of().formatHex(suffix)).build())
        .setInvolvedObject(involved)
        .setReason(reason).setMessage(message).setType(type)
        .setSource(EventSource.newBuilder().setComponent(component).setHost(nodeName).build())
        .setFirstTimestamp(Times.time(now)).setLastTimestamp(Times.time(now)).setCount(1)
        .setReportingComponent(component).setReportingInstance(nodeName)
        .build();
    try {
      java.util.concurrent.CompletableFuture<CommandResult> write = client.create(e);
      if (connection != null) {
        connection.observe(write);
      }
      write.whenComplete((r, err) -> {
        if (err != null) {
          log.debug("event {} {} of {}/{} not recorded: {}", reason, message, involved.getNamespace(),
              involved.getName(), err.toString());
        } else if (r instanceof CommandResult.Rejected rej) {
          log.debug("event {} of {}/{} refused: {}", reason, involved.getNamespace(), involved.getName(),
              rej.status().getMessage());
        }
      });
    } catch (RuntimeException ex) {
      log.debug("event {} of {}/{} not sent: {}", reason, involved.getNamespace(), involved.getName(),
          ex.getMessage());
    }
  }
}
