package io.capstan.stateviews.processor.quota;

import io.capstan.logschema.quota.ResourceLists;
import io.capstan.logschema.resource.Quantity;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The charges against the quotas of one partition, in the task's own (changelogged) store: one
 * row per quota and charged object, keyed {@code <quota key>|<object key>}. Written only by the
 * task that owns the quota's key, inside the same transaction as the quota's status.
 */
public final class QuotaLedger {
  static final char SEPARATOR = '|';
  private static final StringSerializer KEYS = new StringSerializer();

  private final KeyValueStore<String, byte[]> store;

  public QuotaLedger(KeyValueStore<String, byte[]> store) {
    this.store = store;
  }

  public LedgerEntry get(String quotaKey, String objectKey) {
    byte[] b = store.get(rowKey(quotaKey, objectKey));
    return b == null ? null : LedgerEntry.decode(b);
  }

  public void put(String quotaKey, String objectKey, LedgerEntry entry) {
    store.put(rowKey(quotaKey, objectKey), entry.encode());
  }

  public void remove(String quotaKey, String objectKey) {
    store.delete(rowKey(quotaKey, objectKey));
  }

  /** Every entry of a quota, by object key. */
  public Map<String, LedgerEntry> entries(String quotaKey) {
    String prefix = quotaKey + SEPARATOR;
    Map<String, LedgerEntry> out = new LinkedHashMap<>();
    try (KeyValueIterator<String, byte[]> it = store.prefixScan(prefix, KEYS)) {
      while (it.hasNext()) {
        var kv = it.next();
        out.put(kv.key.substring(prefix.length()), LedgerEntry.decode(kv.value));
      }
    }
    return out;
  }

  /** The sum of every charge against the quota: what {@code status.used} shows, before masking to hard. */
  public SortedMap<String, Quantity> sum(String quotaKey) {
    SortedMap<String, Quantity> total = new TreeMap<>();
    for (LedgerEntry e : entries(quotaKey).values()) {
      total = ResourceLists.add(total, e.usage());
    }
    return total;
  }

  /** Forgets a deleted quota's charges. */
  public void removeAll(String quotaKey) {
    List<String> keys = new ArrayList<>();
    try (KeyValueIterator<String, byte[]> it = store.prefixScan(quotaKey + SEPARATOR, KEYS)) {
      while (it.hasNext()) {
        keys.add(it.next().key);
      }
    }
    keys.forEach(store::delete);
  }

  static String rowKey(String quotaKey, String objectKey) {
    return quotaKey + SEPARATOR + objectKey;
  }
}
