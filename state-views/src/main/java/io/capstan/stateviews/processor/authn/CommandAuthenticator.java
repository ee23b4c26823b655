package io.capstan.stateviews.processor.authn;

import io.capstan.log.Command;
import io.capstan.logschema.session.SessionProtocol;
import io.capstan.stateviews.processor.authn.CommandAuthentication.Identity;
import io.capstan.stateviews.processor.authn.CommandAuthentication.Opened;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * One task's checks (not thread-safe: a task runs on one stream thread). Per command: the ticket
 * is looked up among the opened ones (an LRU keyed by the ticket's bytes; AES-GCM only on a
 * miss), then one HMAC-SHA256 of the record value and a comparison of names.
 */
public final class CommandAuthenticator {
  /** Opened tickets kept: far more than a cluster has sessions (one per component identity and process). */
  static final int OPENED_TICKETS = 4096;
  /** Session request ids remembered, to refuse a replayed request within its time window. */
  static final int REMEMBERED_REQUESTS = 65_536;

  private final CommandAuthentication auth;
  private final Mac mac = SessionProtocol.newMac();
  private final LinkedHashMap<ByteBuffer, Opened> opened = new LinkedHashMap<>(64, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<ByteBuffer, Opened> eldest) {
      return size() > OPENED_TICKETS;
    }
  };
  /** The ticket keys the opened tickets were opened with. */
  private TicketKeys openedUnder;
  /** Session request id → [time of the request, offset it was read at], oldest first. */
  private final LinkedHashMap<String, long[]> requests = new LinkedHashMap<>();

  CommandAuthenticator(CommandAuthentication auth) {
    this.auth = auth;
  }

  /**
   * Why the command in {@code value} is not authenticated, or null when it is: its ticket opens
   * and has not expired, its MAC is the ticket's session key's, and its actor is the ticket's
   * identity (any actor for an identity in {@link CommandAuthentication#ASSERTING_GROUP}). The
   * processor's own follow-up commands carry a MAC under the processor key instead; a command
   * that only a processor may send ({@code processorOnly}: a charged or allocated write) needs it.
   */
  public String refusal(Headers headers, byte[] value, Command cmd, long nowMillis, boolean processorOnly) {
    Header t = headers.lastHeader(SessionProtocol.TICKET_HEADER);
    Header m = headers.lastHeader(SessionProtocol.MAC_HEADER);
    if (t == null || m == null || t.value() == null || m.value() == null) {
      return "the command carries no session ticket and MAC (" + SessionProtocol.TICKET_HEADER + ", "
          + SessionProtocol.MAC_HEADER + "): components authenticate with a certificate of the cluster CA";
    }
    byte[] ticket = t.value();
    if (startsWith(ticket, PROCESSOR_TICKET)) {
      SecretKey key = auth.keys().processorKey(new String(ticket, PROCESSOR_TICKET.length,
          ticket.length - PROCESSOR_TICKET.length, StandardCharsets.UTF_8));
      if (key == null || !CommandAuthentication.sameBytes(SessionProtocol.mac(mac, key, value), m.value())) {
        return "the command claims to come from a command processor, but its MAC is not the processor key's";
      }
      return null;
    }
    TicketKeys keys = auth.keys();
    if (keys != openedUnder) {
      // the keys were rotated: a ticket of a dropped key must not pass because it was opened before
      opened.clear();
      openedUnder = keys;
    }
    ByteBuffer lookup = ByteBuffer.wrap(ticket);
    Opened o = opened.get(lookup);
    if (o == null) {
      o = auth.open(ticket);
      if (o == null) {
        return "the session ticket does not open: it was not issued by a processor of this cluster, or was altered";
      }
      opened.put(ByteBuffer.wrap(CommandAuthentication.copy(ticket)), o);
    }
    if (nowMillis >= o.notAfter()) {
      return "the session ticket of " + o.identity().name() + " expired at " + Instant.ofEpochMilli(o.notAfter())
          + "; the client must open a new session";
    }
    if (!CommandAuthentication.sameBytes(SessionProtocol.mac(mac, o.sessionKey(), value), m.value())) {
      return "the command's MAC does not match the session key of its ticket (" + o.identity().name() + ")";
    }
    String actor = cmd.getActor();
    if (!o.identity().name().equals(actor) && !o.identity().asserts()) {
      return "the session of " + o.identity().name() + " cannot send commands as \"" + actor + "\"";
    }
    if (processorOnly) {
      return "a charged or allocated write is a command processor's own step; " + o.identity().name()
          + " cannot send one";
    }
    return null;
  }

  /** The headers of a command the processor sends itself (a quota or allocation step). */
  public Headers processorHeaders(Headers headers, byte[] value) {
    TicketKeys keys = auth.keys();
    String id = keys.current();
    headers.add(SessionProtocol.TICKET_HEADER, (SessionProtocol.PROCESSOR_TICKET_PREFIX + id).getBytes(StandardCharsets.UTF_8));
    headers.add(SessionProtocol.MAC_HEADER, SessionProtocol.mac(mac, keys.processorKey(id), value));
    return headers;
  }

  /**
   * The answer to a session request: a ticket and the processor's share, or why it is refused.
   *
   * @param offset where the request was read: the same request read again at the same offset
   *               (a transaction retried after a crash) is answered again, elsewhere it is a replay
   */
  public SessionAnswer answer(SessionProtocol.Request r, long nowMillis, long offset) {
    long[] seen = requests.get(r.requestId());
    if (seen != null && seen[1] != offset) {
      return SessionAnswer.refused("the session request " + r.requestId() + " was answered before: a replay");
    }
    Identity identity;
    try {
      identity = auth.verify(r, nowMillis);
    } catch (IllegalArgumentException e) {
      return SessionAnswer.refused(e.getMessage());
    }
    remember(r.requestId(), nowMillis, offset);
    KeyPair share = SessionProtocol.newShare();
    SecretKey sessionKey = SessionProtocol.sessionKey(share.getPrivate(), r.share(), r.requestId());
    long notAfter = nowMillis + auth.ticketLifetimeMs();
    return new SessionAnswer(identity, auth.seal(identity, sessionKey, notAfter), share.getPublic().getEncoded(),
        notAfter, null);
  }

  private void remember(String requestId, long nowMillis, long offset) {
    requests.put(requestId, new long[] {nowMillis, offset});
    Iterator<long[]> it = requests.values().iterator();
    while (it.hasNext()) {
      long[] e = it.next();
      // older than the time window: a replay of it is refused by its time anyway
      if (requests.size() > REMEMBERED_REQUESTS || nowMillis - e[0] > 2 * SessionProtocol.MAX_CLOCK_SKEW_MS) {
        it.remove();
      } else {
        break;
      }
    }
  }

  /** The answer to a session request. */
  public record SessionAnswer(Identity identity, byte[] ticket, byte[] share, long notAfter, String refusal) {
    static SessionAnswer refused(String why) {
      return new SessionAnswer(null, null, null, 0, why);
    }

    /** The headers of the answer's Reply. */
    public Headers headers() {
      RecordHeaders h = new RecordHeaders();
      if (refusal == null) {
        h.add(SessionProtocol.TICKET_HEADER, ticket);
        h.add(SessionProtocol.SHARE_HEADER, share);
        h.add(SessionProtocol.NOT_AFTER_HEADER, Long.toString(notAfter).getBytes(StandardCharsets.UTF_8));
      }
      return h;
    }
  }

  private static final byte[] PROCESSOR_TICKET = SessionProtocol.PROCESSOR_TICKET_PREFIX.getBytes(StandardCharsets.UTF_8);

  private static boolean startsWith(byte[] a, byte[] prefix) {
    if (a.length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (a[i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }
}
