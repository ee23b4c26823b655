package io.capstan.logschema.client;

import io.capstan.log.ErrorStatus;
import io.capstan.log.Reply;
import io.capstan.logschema.session.ComponentCredentials;
import io.capstan.logschema.session.ComponentSessions;
import io.capstan.logschema.session.SessionProtocol;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sessions of one channel's identities (docs/identity.md section 2). A command of an identity
 * whose session is open goes out at once with its ticket and MAC; the first command of an
 * identity (or one after a refusal or an expiry) opens the session and waits, parked, for the
 * processor's answer: session set-up is lazy and costs a start-up nothing but that one round trip.
 * The session is renewed in the background at 80% of the ticket's life while the old ticket still
 * serves.
 *
 * @param <P> what waits for a session: the channel's pending commands
 */
final class ChannelSessions<P> {
  private static final Logger log = LoggerFactory.getLogger(ChannelSessions.class);

  /** What the channel does for its sessions. */
  interface Channel<P> {
    /** Produces a session request under {@link SessionProtocol#SESSION_KEY}. */
    void sendSessionRequest(byte[] value);

    /** The session is open: send these again. */
    void resume(List<P> parked);

    /** The session was refused: answer these with {@code status}. */
    void refuse(List<P> parked, ErrorStatus status);
  }

  /** Headers of a command whose identity has no credentials in this process: none, as before sessions. */
  static final Headers NO_SESSION = readOnly(new RecordHeaders());
  /** How long after a refused session request the next may be sent. */
  static final long ASK_AGAIN_AFTER_REFUSAL_MS = 1000;
  /** How long a "no ticket needed" answer holds before the session is asked again. */
  static final long NO_TICKET_RECHECK_MS = 10 * 60 * 1000L;

  private final Channel<P> channel;
  private final String clientId;
  private final Duration requestTimeout;
  private final Map<String, Optional<Session<P>>> byIdentity = new ConcurrentHashMap<>();
  private final Map<String, Session<P>> byRequest = new ConcurrentHashMap<>();

  ChannelSessions(Channel<P> channel, String clientId, Duration requestTimeout) {
    this.channel = channel;
    this.clientId = clientId;
    this.requestTimeout = requestTimeout;
  }

  /**
   * The headers {@code value} goes out with when {@code identity} sends it: its ticket and MAC;
   * {@link #NO_SESSION} when the process holds no credentials for it; null when {@code parked}
   * now waits for the session to open.
   */
  Headers headers(String identity, byte[] value, P parked) {
    Optional<Session<P>> s = byIdentity.computeIfAbsent(identity,
        id -> ComponentSessions.credentials(id).map(c -> new Session<P>(c)));
    return s.isEmpty() ? NO_SESSION : s.get().headers(value, parked, this);
  }

  /** Takes the answer to a session request; false when {@code reply} answers something else. */
  boolean answered(Reply reply, Headers headers) {
    Session<P> s = byRequest.remove(reply.getRequestId());
    if (s == null) {
      return false;
    }
    s.answered(reply, headers, this);
    return true;
  }

  private static Headers readOnly(RecordHeaders h) {
    h.setReadOnly();
    return h;
  }

  private void request(Session<P> s, String requestId, KeyPair share) {
    byRequest.put(requestId, s);
    channel.sendSessionRequest(SessionProtocol.encodeRequest(s.credentials, requestId, clientId,
        System.currentTimeMillis(), share.getPublic()));
  }

  /** One identity's session. */
  private static final class Session<P> {
    final ComponentCredentials credentials;
    final Mac mac = SessionProtocol.newMac();
    byte[] ticket;
    SecretKey key;
    long notAfter;
    long renewAt;
    /** The request waiting for its answer, with the private half of its share. */
    String requestId;
    PrivateKey share;
    long requestedAt;
    /** After a refusal, no new request before this (ms): a refused identity must not flood the processor. */
    long askAgainAt;
    final List<P> parked = new ArrayList<>();

    Session(ComponentCredentials credentials) {
      this.credentials = credentials;
    }

    synchronized Headers headers(byte[] value, P p, ChannelSessions<P> sessions) {
      long now = System.currentTimeMillis();
      boolean open = ticket != null && now < notAfter;
      boolean asked = requestId != null && now - requestedAt < sessions.requestTimeout.toMillis();
      if (!asked && (!open || now >= renewAt) && now >= askAgainAt) {
        KeyPair pair = SessionProtocol.newShare();
        if (requestId != null) {
          sessions.byRequest.remove(requestId); // lost: ask again
        }
        requestId = UUID.randomUUID().toString();
        share = pair.getPrivate();
        requestedAt = now;
        sessions.request(this, requestId, pair);
      }
      if (!open) {
        parked.add(p);
        return null;
      }
      if (key == null) {
        return NO_SESSION; // the processor does not authenticate: nothing to prove
      }
      byte[] m = SessionProtocol.mac(mac, key, value);
      RecordHeaders h = new RecordHeaders();
      h.add(new RecordHeader(SessionProtocol.TICKET_HEADER, ticket));
      h.add(new RecordHeader(SessionProtocol.MAC_HEADER, m));
      return h;
    }

    void answered(Reply reply, Headers headers, ChannelSessions<P> sessions) {
      List<P> waiting;
      synchronized (this) {
        if (!reply.getRequestId().equals(requestId)) {
          return; // an answer to a request given up on
        }
        requestId = null;
        waiting = new ArrayList<>(parked);
        parked.clear();
        if (!reply.getAccepted()) {
          askAgainAt = System.currentTimeMillis() + ASK_AGAIN_AFTER_REFUSAL_MS;
          ErrorStatus status = reply.getStatus();
          log.warn("the command processor refused the session of {}: {}", credentials.identity(),
              status == null ? "(no status)" : status.getMessage());
          sessions.channel.refuse(waiting, status);
          return;
        }
        try {
          Header t = headers.lastHeader(SessionProtocol.TICKET_HEADER);
          Header s = headers.lastHeader(SessionProtocol.SHARE_HEADER);
          Header n = headers.lastHeader(SessionProtocol.NOT_AFTER_HEADER);
          long now = System.currentTimeMillis();
          if (t == null) {
            // A processor that authenticates nobody answers without a ticket: send plain, ask again later.
            key = null;
            ticket = new byte[0];
            notAfter = now + NO_TICKET_RECHECK_MS;
          } else {
            key = SessionProtocol.sessionKey(share, s.value(), reply.getRequestId());
            ticket = t.value();
            notAfter = Long.parseLong(new String(n.value(), StandardCharsets.UTF_8));
          }
          renewAt = now + (long) ((notAfter - now) * SessionProtocol.RENEW_AT);
          share = null;
          log.info("session of {} open until {}", credentials.identity(), java.time.Instant.ofEpochMilli(notAfter));
        } catch (RuntimeException e) {
          log.warn("the answer to the session request of {} cannot be read: {}", credentials.identity(), e.toString());
          sessions.channel.refuse(waiting, ErrorStatus.newBuilder().setCode(500)
              .setReason("InternalError").setMessage("the session answer cannot be read: " + e).build());
          return;
        }
      }
      sessions.channel.resume(waiting);
    }
  }
}
