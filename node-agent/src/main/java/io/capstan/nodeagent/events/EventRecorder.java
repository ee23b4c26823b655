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
 * broadcaster drops what its sink cannot take.
 */
public final class EventRecorder {
  private static final Logger log = LoggerFactory.getLogger(EventRecorder.class);
  public static final String NORMAL = "Normal";
  public static final String WARNING = "Warning";

  private final CommandClient client;
  private final String nodeName;
  private final Clock clock;
  private final LogConnection connection;

  public EventRecorder(CommandClient client, String nodeName, Clock clock) {
    this(client, nodeName, clock, null);
  }

  /** @param connection whether the cluster's log answers: while it does not, events are dropped; null: always sent */
  public EventRecorder(CommandClient client, String nodeName, Clock clock, LogConnection connection) {
    this.client = client;
    this.nodeName = nodeName;
    this.clock = clock;
    this.connection = connection;
  }


  /**
   * @param fieldPath e.g. {@code spec.containers{web}}; null for the pod itself
   */
  public void record(Pod pod, String fieldPath, String type, String reason, String message) {
    if (client == null) {
      return;
    }
    if (connection != null && !connection.reachable()) {
      connection.eventDropped();
      return;
    }
    Instant now = clock.instant();
    ObjectMeta pm = pod.getMetadata();
    byte[] suffix = new byte[8];
    ThreadLocalRandom.current().nextBytes(suffix);
    Event e = Event.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace(pm.getNamespace())
            .setName(pm.getName() + "." + HexFormat.of().formatHex(suffix)).build())
        .setInvolvedObject(ObjectReference.newBuilder().setKind("Pod").setApiVersion("v1")
            .setNamespace(pm.getNamespace()).setName(pm.getName()).setUid(pm.getUid()).setFieldPath(fieldPath).build())
        .setReason(reason).setMessage(message).setType(type)
        .setSource(EventSource.newBuilder().setComponent("kubelet").setHost(nodeName).build())
        .setFirstTimestamp(Times.time(now)).setLastTimestamp(Times.time(now)).setCount(1)
        .setReportingComponent("kubelet").setReportingInstance(nodeName)
        .build();
    try {
      java.util.concurrent.CompletableFuture<CommandResult> write = client.create(e);
      if (connection != null) {
        connection.observe(write);
      }
      write.whenComplete((r, err) -> {
        if (err != null) {
          log.debug("event {} {} of {}/{} not recorded: {}", reason, message, pm.getNamespace(), pm.getName(), err.toString());
        } else if (r instanceof CommandResult.Rejected rej) {
          log.debug("event {} of {}/{} refused: {}", reason, pm.getNamespace(), pm.getName(), rej.status().getMessage());
        }
      });
    } catch (RuntimeException ex) {
      log.debug("event {} of {}/{} not sent: {}", reason, pm.getNamespace(), pm.getName(), ex.getMessage());
    }
  }
}
