package io.capstan.stateviews.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.api.Secret;
import io.capstan.log.Event;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.codec.MalformedRecordException;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.kinds.ObjectKey;
import io.capstan.logschema.secrets.SecretKeys;
import io.capstan.logschema.secrets.SecretSealing;
import io.capstan.logschema.topics.ObjectPartitioner;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.kafka.LogReader;
import io.capstan.stateviews.kafka.SchemaLogs;
import org.apache.avro.generic.IndexedRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntPredicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers audit queries from {@code capstan.events}, the log every accepted write lands in. It
 * reads as little of the log as the query allows: one partition when the query names one object
 * (an object's events all live on its key's partition), and from the first record at or after
 * {@code since} (the broker's time index).
 */
public final class AuditTrail {
  private static final Logger log = LoggerFactory.getLogger(AuditTrail.class);
  /** Record timestamps are the processor's wall clock; allow for skew when seeking by time. */
  private static final long SEEK_SLACK_MS = 60_000;

  private final Map<String, Object> kafka;
  private final TopicLayout layout;
  private final LogCodec codec;

  public AuditTrail(Map<String, Object> kafka, TopicLayout layout) {
    this(kafka, layout, LogCodec.get());
  }

  /** Decoding with {@code codec}, which finds writer schemas it does not know in the schemas topic. */
  public AuditTrail(Map<String, Object> kafka, TopicLayout layout, LogCodec codec) {
    this.kafka = Map.copyOf(kafka);
    this.layout = layout;
    this.codec = codec;
  }

  /** The matching events in time order (ties in resourceVersion order). */
  public List<AuditEntry> query(AuditQuery q) {
    return query(q, false);
  }

  /**
   * The matching events in time order; with {@code objects}, each entry also carries the object
   * after the change as JSON (Kubernetes audit's {@code responseObject}), decoded whatever schema
   * of its kind wrote it (see {@link SchemaLogs#with}). An object that cannot be decoded leaves
   * the entry without it and is counted in {@link AuditEntry#objectError()}.
   */
  public List<AuditEntry> query(AuditQuery q, boolean objects) {
    if (!objects) {
      return collect(q, false);
    }
    return SchemaLogs.with(kafka, layout, codec, () -> collect(q, true));
  }

  private List<AuditEntry> collect(AuditQuery q, boolean objects) {
    List<AuditEntry> found = new ArrayList<>();
    long[] skipped = new long[1];
    long fromMs = q.sinceMicros() <= 0 ? 0 : Math.max(1, q.sinceMicros() / 1000 - SEEK_SLACK_MS);
    LogReader.read(kafka, layout.events(), new LogReader.Range(partitionsFor(q), fromMs), r -> {
      Event e;
      try {
        e = codec.decode(r.value(), Event.class);
      } catch (MalformedRecordException ex) {
        log.warn("audit: skipping malformed event at {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), ex.getMessage());
        skipped[0]++;
        return;
      }
      if (q.matches(e)) {
        found.add(objects ? withObject(entry(e), e) : entry(e));
      }
    });
    if (skipped[0] > 0) {
      log.warn("audit: {} malformed events skipped", skipped[0]);
    }
    collectAccess(q, fromMs, found);
    found.sort(Comparator.comparing(AuditEntry::time).thenComparingLong(AuditEntry::resourceVersion));
    return found;
  }

  /**
   * The gateways' access records (refusals, reads of Secrets) that match. A cluster made before
   * access was recorded has no access topic: then there are none.
   */
  private void collectAccess(AuditQuery q, long fromMs, List<AuditEntry> into) {
    long[] skipped = new long[1];
    try {
      LogReader.read(kafka, layout.access(), new LogReader.Range(p -> true, fromMs), r -> {
        io.capstan.log.Access a;
        try {
          a = codec.decode(r.value(), io.capstan.log.Access.class);
        } catch (MalformedRecordException ex) {
          skipped[0]++;
          return;
        }
        if (q.matches(a)) {
          into.add(AuditEntry.of(a));
        }
      });
    } catch (IllegalStateException e) {
      log.debug("audit: no access records: {}", e.getMessage());
    }
    if (skipped[0] > 0) {
      log.warn("audit: {} malformed access records skipped", skipped[0]);
    }
  }

  private IntPredicate partitionsFor(AuditQuery q) {
    if (!q.namesOneObject()) {
      return p -> true;
    }
    Optional<Kind> kind = Kinds.byName(q.kind().get());
    if (kind.isEmpty()) {
      return p -> true; // matches() will find nothing; no need to guess a partition
    }
    if (kind.get().namespaced() && q.namespace().isEmpty()) {
      return p -> true; // "hello" in every namespace: as many keys, any partition
    }
    String key = new ObjectKey(kind.get().kind(), kind.get().namespaced() ? q.namespace().orElse("") : "",
        q.name().get()).toString();
    int partition = ObjectPartitioner.partition(key, partitionCount());
    return p -> p == partition;
  }

  private int partitionCount() {
    try (Admin admin = Admin.create(kafka)) {
      TopicDescription d = admin.describeTopics(List.of(layout.events())).allTopicNames().get().get(layout.events());
      return d.partitions().size();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while describing " + layout.events(), e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("cannot describe " + layout.events() + ": " + e.getCause().getMessage(), e.getCause());
    }
  }

  private AuditEntry withObject(AuditEntry entry, Event e) {
    if (e.getObject() == null) {
      return entry;
    }
    byte[] bytes = new byte[e.getObject().remaining()];
    e.getObject().duplicate().get(bytes);
    try {
      IndexedRecord object = codec.decode(bytes);
      if (object instanceof Secret secret) {
        // Audit says that a Secret changed and who changed it, never its values.
        object = SecretSealing.withoutValues(secret, SecretSealing.describe(secret, SecretKeys.installed()));
      }
      return entry.withObject(KubeJson.toJsonString(object), null);
    } catch (MalformedRecordException ex) {
      log.warn("audit: the object of {} at resourceVersion {} cannot be decoded: {}", entry.object(),
          entry.resourceVersion(), ex.getMessage());
      return entry.withObject(null, ex.getMessage());
    }
  }

  private static AuditEntry entry(Event e) {
    List<String> changed = List.copyOf(e.getChangedPaths());
    String patch = e.getMergePatch();
    if (Kinds.SECRET.kind().equals(e.getKind())) {
      changed = secretPaths(changed);
      patch = secretPatch(patch);
    }
    return new AuditEntry(Instant.ofEpochSecond(e.getTimeMicros() / 1_000_000, (e.getTimeMicros() % 1_000_000) * 1_000),
        e.getActor(), e.getOp().name(), e.getKind(), e.getNamespace(), e.getName(), e.getUid(), e.getResourceVersion(),
        e.getRequestId(), changed, patch, null, null);
  }

  /** A Secret's sealed values change as one field: the audit names it {@code data}. */
  static List<String> secretPaths(List<String> paths) {
    return paths.stream().map(p -> isUnder(p, "data") || isUnder(p, "stringData") ? "data" : p).distinct().toList();
  }

  private static boolean isUnder(String path, String field) {
    return path.equals(field) || path.startsWith(field + ".") || path.startsWith(field + "[");
  }

  /** A Secret's merge patch with each value under data / stringData replaced by "(changed)": never values, even sealed. */
  static String secretPatch(String mergePatch) {
    if (mergePatch == null) {
      return null;
    }
    try {
      JsonNode root = JSON.readTree(mergePatch);
      if (root instanceof ObjectNode o) {
        for (String field : new String[] {"data", "stringData"}) {
          if (o.get(field) instanceof ObjectNode values) {
            List<String> keys = new ArrayList<>();
            values.fieldNames().forEachRemaining(keys::add);
            for (String k : keys) {
              if (!values.get(k).isNull()) {
                values.put(k, "(changed)");
              }
            }
          } else if (o.has(field) && !o.get(field).isNull()) {
            o.put(field, "(changed)");
          }
        }
      }
      return JSON.writeValueAsString(root);
    } catch (java.io.IOException ex) {
      return "(a Secret's merge patch, not shown)";
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();
}
