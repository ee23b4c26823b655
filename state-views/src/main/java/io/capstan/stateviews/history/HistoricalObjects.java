package io.capstan.stateviews.history;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.api.Secret;
import io.capstan.log.EventOp;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.ObjectKey;
import io.capstan.logschema.secrets.SecretSealing;
import io.capstan.stateviews.audit.AuditEntry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.avro.generic.IndexedRecord;

/**
 * Versions of the log as objects a reader may see. A Secret's values are never shown in a
 * historical read, whoever asks: the event log holds them sealed, and a past value is what a
 * rotated credential must not hand out again. The Secret keeps its metadata, type and the
 * annotation {@value SecretSealing#ENCRYPTION_ANNOTATION} saying why its data is absent, as
 * Kubernetes audit policies log Secrets at the Metadata level only.
 */
public final class HistoricalObjects {
  static final String SECRET_VALUES_HIDDEN = "values are not shown in historical reads";

  private HistoricalObjects() {}

  /** One version with who made it, when and how ({@link AuditEntry}), and what it changed from the version before. */
  public record HistoryEntry(AuditEntry change, List<VersionDiff.Change> diff) {}

  /** The object of a version (not a delete's), decoded, a Secret without its values. */
  public static IndexedRecord object(ObjectVersion v, LogCodec codec) {
    IndexedRecord o = codec.decode(v.object());
    return o instanceof Secret s ? SecretSealing.withoutValues(s, SECRET_VALUES_HIDDEN) : o;
  }

  /**
   * The versions of one object (oldest first) with the field-level difference of each from the
   * one before it: empty for a create (the object as created is the version itself, to read with
   * {@code asOfResourceVersion}). A Secret's changed values show as a change of {@code data}
   * without them.
   */
  public static List<HistoryEntry> history(List<ObjectVersion> versions, LogCodec codec) {
    List<HistoryEntry> out = new ArrayList<>(versions.size());
    JsonNode previous = null;
    IndexedRecord previousRecord = null;
    for (ObjectVersion v : versions) {
      byte[] bytes = v.object();
      IndexedRecord record = bytes == null ? null : codec.decode(bytes);
      JsonNode json = record == null ? null : KubeJson.toJson(record instanceof Secret s
          ? SecretSealing.withoutValues(s, SECRET_VALUES_HIDDEN) : record);
      List<VersionDiff.Change> diff = new ArrayList<>();
      boolean created = v.op() == EventOp.CREATED || previous == null;
      if (!created && json != null) {
        diff.addAll(VersionDiff.between(withoutSealing(previous), withoutSealing(json)));
        if (record instanceof Secret now && previousRecord instanceof Secret before
            && !Objects.equals(before.getData(), now.getData())) {
          diff.add(new VersionDiff.Change("data", "replace", null, null));
        }
      }
      ObjectKey key = ObjectKey.parse(v.key());
      List<String> paths = diff.stream().map(VersionDiff.Change::path).toList();
      AuditEntry change = new AuditEntry(instant(v.timeMicros()), v.actor(), v.op().name(), key.kind(),
          key.namespace(), key.name(), v.uid(), v.resourceVersion(), "", paths, null, null, null);
      out.add(new HistoryEntry(change, diff));
      if (v.removes()) {
        previous = null;
        previousRecord = null;
      } else if (json != null) {
        previous = json;
        previousRecord = record;
      }
    }
    return out;
  }

  /** The annotation a hidden Secret carries is the same in every version: not a change. */
  private static JsonNode withoutSealing(JsonNode object) {
    JsonNode annotations = object.path("metadata").path("annotations");
    if (!(annotations instanceof ObjectNode a) || !a.has(SecretSealing.ENCRYPTION_ANNOTATION)) {
      return object;
    }
    ObjectNode copy = object.deepCopy();
    ((ObjectNode) copy.path("metadata").path("annotations")).remove(SecretSealing.ENCRYPTION_ANNOTATION);
    return copy;
  }

  static Instant instant(long micros) {
    return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000);
  }
}
