package io.capstan.stateviews.processor.authn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ConfigMap;
import io.capstan.api.ObjectMeta;
import io.capstan.log.Command;
import io.capstan.logschema.client.Commands;
import io.capstan.logschema.session.SessionProtocol;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rotating the components' session ticket key ({@code pki/ticket.key}) under a processor that
 * follows the file: new tickets are sealed with the new key at once, tickets sealed before keep
 * working, a key superseded longer than a ticket's lifetime is dropped and its tickets stop
 * opening (even ones opened before), and a damaged file keeps the keys loaded before.
 */
class TicketKeyRotationTest {
  private static final String NODE = "system:node:n1";
  private static final Duration LIFETIME = Duration.ofMillis(SessionProtocol.TICKET_LIFETIME_MS);
  private static final SecureRandom RANDOM = new SecureRandom();

  @TempDir Path dir;

  @Test
  void aRotatedKeySealsNewTicketsWhileOldOnesWorkUntilTheirKeyIsDropped() throws Exception {
    Path file = dir.resolve(TicketKeys.FILE_NAME);
    CommandAuthentication auth = new CommandAuthentication(new TestCa().certificate(), TicketKeyFile.ensure(file, 0));
    CommandAuthenticator authenticator = auth.authenticator();
    String first = auth.keys().current();
    byte[] sessionKey = new byte[32];
    RANDOM.nextBytes(sessionKey);
    long inAnHour = System.currentTimeMillis() + LIFETIME.toMillis();
    byte[] before = auth.ticketFor(NODE, List.of("system:nodes"), sessionKey, inAnHour);
    assertNull(refusal(authenticator, before, sessionKey));

    Instant now = Instant.now();
    TicketKeys.Rotation rotation = TicketKeys.rotate(file, now, LIFETIME);
    assertEquals(List.of(), rotation.dropped(), "the key it replaces still opens the tickets it sealed");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals(rotation.newKey(), auth.keys().current(), "the processor follows the file");
    assertEquals(List.of(rotation.newKey(), first), auth.keys().ids());
    byte[] after = auth.ticketFor(NODE, List.of("system:nodes"), sessionKey, inAnHour);
    assertEquals(rotation.newKey(), keyIdOf(after), "a new ticket is sealed with the new key");
    assertNull(refusal(authenticator, after, sessionKey));
    assertNull(refusal(authenticator, before, sessionKey), "a ticket sealed before the rotation keeps working");
    // the processor's own steps are signed under the new key and check out
    byte[] value = "a charged write".getBytes(StandardCharsets.UTF_8);
    RecordHeaders own = (RecordHeaders) authenticator.processorHeaders(new RecordHeaders(), value);
    assertTrue(new String(own.lastHeader(SessionProtocol.TICKET_HEADER).value(), StandardCharsets.UTF_8)
        .endsWith(rotation.newKey()));
    assertNull(authenticator.refusal(own, value, command(), System.currentTimeMillis(), true));

    // More than a ticket's lifetime later: a third key; the first, superseded then, is dropped.
    TicketKeys.Rotation later = TicketKeys.rotate(file, now.plus(LIFETIME).plusSeconds(60), LIFETIME);
    assertEquals(List.of(first), later.dropped());
    assertEquals(List.of(later.newKey(), rotation.newKey()), auth.keys().ids());
    String refused = refusal(authenticator, before, sessionKey);
    assertTrue(refused != null && refused.contains("does not open"),
        "a ticket of a dropped key is refused, though it was opened before: " + refused);
    assertNull(refusal(authenticator, after, sessionKey));

    // A damaged file: the processor keeps what it had, and says so in its log.
    Files.writeString(file, "not a key\n");
    assertEquals(later.newKey(), auth.keys().current());
    assertNull(refusal(authenticator, after, sessionKey));
  }

  @Test
  void aKeyIsKeptWhenItIsUnknownSinceWhenItWasSuperseded() throws Exception {
    Path file = dir.resolve(TicketKeys.FILE_NAME);
    java.util.Base64.Encoder b64 = java.util.Base64.getEncoder();
    byte[] a = new byte[32];
    byte[] b = new byte[32];
    RANDOM.nextBytes(a);
    RANDOM.nextBytes(b);
    // a hand-made key (its id names no time) in front of a key made years ago
    Files.writeString(file, "handmade " + b64.encodeToString(a) + "\nt-20200101000000 " + b64.encodeToString(b) + "\n");
    TicketKeys.Rotation rotation = TicketKeys.rotate(file, Instant.now(), LIFETIME);
    assertEquals(List.of(), rotation.dropped());
    assertEquals(List.of(rotation.newKey(), "handmade", "t-20200101000000"), TicketKeys.load(file).ids());
  }

  private static String refusal(CommandAuthenticator authenticator, byte[] ticket, byte[] sessionKey) {
    byte[] value = ("a command " + RANDOM.nextLong()).getBytes(StandardCharsets.UTF_8);
    RecordHeaders headers = new RecordHeaders();
    headers.add(SessionProtocol.TICKET_HEADER, ticket);
    headers.add(SessionProtocol.MAC_HEADER, SessionProtocol.mac(SessionProtocol.newMac(),
        new SecretKeySpec(sessionKey, "HmacSHA256"), value));
    return authenticator.refusal(headers, value, command(), System.currentTimeMillis(), false);
  }

  private static Command command() {
    Command c = Commands.create(ConfigMap.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName("cm").build())
        .setData(Map.of("k", "v")).build());
    c.setActor(NODE);
    return c;
  }

  /** The id of the key a ticket names (version, id length, id, ...). */
  private static String keyIdOf(byte[] ticket) {
    return new String(ticket, 2, ticket[1] & 0xff, StandardCharsets.UTF_8);
  }
}
