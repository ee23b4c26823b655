package io.capstan.stateviews.processor.quota;

import io.capstan.logschema.quota.ResourceLists;
import io.capstan.logschema.resource.Quantity;
import java.nio.charset.StandardCharsets;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One object charged against one quota: its uid (a release names it, so a release meant for an
 * object that was deleted and created again under the same name changes nothing), the create
 * request that charged it, when, and its full usage (all names, so a quota whose hard limits
 * change can recount).
 */
public record LedgerEntry(String uid, String requestId, long chargedAtMicros, SortedMap<String, Quantity> usage) {

  public LedgerEntry {
    uid = uid == null ? "" : uid;
    requestId = requestId == null ? "" : requestId;
    usage = new TreeMap<>(usage);
  }

  /** Lines: uid, request id, charge time, then {@code name=quantity} per resource. */
  public byte[] encode() {
    StringBuilder b = new StringBuilder();
    b.append(uid).append('\n').append(requestId).append('\n').append(chargedAtMicros);
    usage.forEach((name, q) -> b.append('\n').append(name).append('=').append(q.canonical()));
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  public static LedgerEntry decode(byte[] bytes) {
    String[] lines = new String(bytes, StandardCharsets.UTF_8).split("\n", -1);
    if (lines.length < 3) {
      throw new IllegalArgumentException("a quota ledger entry needs a uid, a request id and a time, got "
          + lines.length + " line(s)");
    }
    SortedMap<String, String> usage = new TreeMap<>();
    for (int i = 3; i < lines.length; i++) {
      int eq = lines[i].lastIndexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("quota ledger entry line \"" + lines[i] + "\" is not name=quantity");
      }
      usage.put(lines[i].substring(0, eq), lines[i].substring(eq + 1));
    }
    return new LedgerEntry(lines[0], lines[1], Long.parseLong(lines[2]), ResourceLists.parse(usage));
  }
}
