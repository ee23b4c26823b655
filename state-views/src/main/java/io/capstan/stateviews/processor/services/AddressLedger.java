package io.capstan.stateviews.processor.services;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Who holds each ClusterIP and NodePort: one row per address, {@code ip/<address>} or
 * {@code port/<number>}, valued {@code <namespace>/<name>\n<uid>} of the holding Service, plus the
 * cursors of the dynamic picks. In the (changelogged) store of the task that owns the ledger key,
 * written only inside its transactions.
 */
public final class AddressLedger {
  private static final String IP = "ip/";
  private static final String PORT = "port/";
  private static final String IP_CURSOR = "cursor/ip";
  private static final String PORT_CURSOR = "cursor/port";

  /** The Service holding an address. */
  public record Holder(String service, String uid) {
    byte[] encode() {
      return (service + "\n" + uid).getBytes(StandardCharsets.UTF_8);
    }

    static Holder decode(byte[] b) {
      if (b == null) {
        return null;
      }
      String s = new String(b, StandardCharsets.UTF_8);
      int nl = s.indexOf('\n');
      return nl < 0 ? new Holder(s, "") : new Holder(s.substring(0, nl), s.substring(nl + 1));
    }
  }

  private final KeyValueStore<String, byte[]> store;

  public AddressLedger(KeyValueStore<String, byte[]> store) {
    this.store = store;
  }

  public Holder ip(String ip) {
    return Holder.decode(store.get(IP + ip));
  }

  public Holder port(int port) {
    return Holder.decode(store.get(PORT + port));
  }

  void holdIp(String ip, Holder h) {
    store.put(IP + ip, h.encode());
  }

  void holdPort(int port, Holder h) {
    store.put(PORT + port, h.encode());
  }

  void freeIp(String ip) {
    store.delete(IP + ip);
  }

  void freePort(int port) {
    store.delete(PORT + port);
  }

  long ipCursorOr(long otherwise) {
    byte[] b = store.get(IP_CURSOR);
    return b == null ? otherwise : Long.parseLong(new String(b, StandardCharsets.UTF_8));
  }

  void moveIpCursor(long next) {
    store.put(IP_CURSOR, Long.toString(next).getBytes(StandardCharsets.UTF_8));
  }

  int portCursorOr(int otherwise) {
    byte[] b = store.get(PORT_CURSOR);
    return b == null ? otherwise : Integer.parseInt(new String(b, StandardCharsets.UTF_8));
  }

  void movePortCursor(int next) {
    store.put(PORT_CURSOR, Integer.toString(next).getBytes(StandardCharsets.UTF_8));
  }
}
