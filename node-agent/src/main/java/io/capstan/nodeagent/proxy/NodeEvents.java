package io.capstan.nodeagent.proxy;

import io.capstan.api.Event;
import io.capstan.api.EventSource;
import io.capstan.api.ObjectMeta;
import io.capstan.api.ObjectReference;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandResult;
import io.capstan.nodeagent.Times;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells of a refused ruleset with a Warning Event on this node ({@code kubectl describe node}
 * shows it), source {@code kube-proxy}. The same message again within {@link #REPEAT_AFTER} is only
 * logged, so a ruleset refused at every resync does not flood the log.
 */
public final class NodeEvents implements SyncFailureReporter {
  private static final Logger log = LoggerFactory.getLogger(NodeEvents.class);
  public static final String REASON = "FailedToSyncProxyRules";
  static final Duration REPEAT_AFTER = Duration.ofMinutes(5);

  private final CommandClient client;
  private final String nodeName;
  private final Clock clock;
  private String lastMessage;
  private Instant lastSent = Instant.EPOCH;

  public NodeEvents(CommandClient client, String nodeName, Clock clock) {
    this.client = client;
    this.nodeName = nodeName;
    this.clock = clock;
  }

  @Override
  public synchronized void refused(String message) {
    log.warn("service proxy rules for node {} refused, the previous rules stay: {}", nodeName, message);
    Instant now = clock.instant();
    if (message.equals(lastMessage) && now.isBefore(lastSent.plus(REPEAT_AFTER))) {
      return;
    }
    lastMessage = message;
    lastSent = now;
    byte[] suffix = new byte[8];
    ThreadLocalRandom.current().nextBytes(suffix);
    Event e = Event.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("default")
            .setName(nodeName + "." + HexFormat.of().formatHex(suffix)).build())
        .setInvolvedObject(ObjectReference.newBuilder().setKind("Node").setApiVersion("v1").setName(nodeName)
            .setUid(nodeName).build())
        .setReason(REASON).setType("Warning")
        .setMessage(message.length() > 1024 ? message.substring(0, 1024) + " …" : message)
        .setSource(EventSource.newBuilder().setComponent("kube-proxy").setHost(nodeName).build())
        .setFirstTimestamp(Times.time(now)).setLastTimestamp(Times.time(now)).setCount(1)
        .setReportingComponent("kube-proxy").setReportingInstance(nodeName)
        .build();
    try {
      client.create(e).whenComplete((r, err) -> {
        if (err != null) {
          log.warn("event {} of node {} not recorded: {}", REASON, nodeName, err.toString());
        } else if (r instanceof CommandResult.Rejected rej) {
          log.warn("event {} of node {} refused: {}", REASON, nodeName, rej.status().getMessage());
        }
      });
    } catch (RuntimeException ex) {
      log.warn("event {} of node {} not sent: {}", REASON, nodeName, ex.getMessage());
    }
  }
}
