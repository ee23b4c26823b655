package io.capstan.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.stateviews.processor.authn.TicketKeys;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code capstan keys rotate --only tickets}: a new session ticket key first in the cluster's
 * {@code pki/ticket.key}, the old one kept to open the tickets it sealed (processors follow the
 * file: TicketKeyRotationTest).
 */
class TicketKeyRotateCommandTest {
  @TempDir Path dataDir;

  @Test
  void putsANewTicketKeyFirstAndKeepsTheOldOne() throws Exception {
    Path file = dataDir.resolve("pki").resolve(TicketKeys.FILE_NAME);
    String old = TicketKeys.ensure(file).current();
    CapstanCommandLineTest.Run r = CapstanCommandLineTest.run("keys", "rotate", "--only", "tickets",
        "--data-dir", dataDir.toString());
    assertEquals(0, r.status(), r.out() + r.err());
    List<String> ids = TicketKeys.load(file).ids();
    assertEquals(2, ids.size(), ids.toString());
    assertNotEquals(old, ids.get(0));
    assertEquals(old, ids.get(1));
    assertTrue(r.out().contains("new ticket key " + ids.get(0)), r.out());
  }

  @Test
  void aClusterWithoutTicketKeysIsSaidSo() {
    CapstanCommandLineTest.Run r = CapstanCommandLineTest.run("keys", "rotate", "--only", "tickets",
        "--data-dir", dataDir.toString());
    assertEquals(1, r.status());
    assertTrue(r.err().contains("does not exist"), r.err());
  }
}
