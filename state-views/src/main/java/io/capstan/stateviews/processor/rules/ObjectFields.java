package io.capstan.stateviews.processor.rules;

import io.capstan.api.Namespace;
import io.capstan.api.ObjectMeta;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificData;

/**
 * Kind-independent access to an object: every kind is an Avro record with a {@code metadata}
 * field of type ObjectMeta, and optionally {@code status}; everything else is "the spec" for
 * generation purposes.
 */
public final class ObjectFields {
  public static final String METADATA = "metadata";
  public static final String STATUS = "status";
  private static final Equality EQUALITY = new Equality();

  private ObjectFields() {}

  public static ObjectMeta meta(IndexedRecord object) {
    Schema.Field f = object.getSchema().getField(METADATA);
    if (f == null) {
      throw new IllegalArgumentException(object.getSchema().getFullName() + " has no metadata field");
    }
    return (ObjectMeta) object.get(f.pos());
  }

  /** The value of a top-level field, or null when the kind has no such field. */
  public static Object get(IndexedRecord object, String field) {
    Schema.Field f = object.getSchema().getField(field);
    return f == null ? null : object.get(f.pos());
  }

  /**
   * Sets a top-level field the kind may not declare: a custom kind whose definition enables the
   * status subresource without a {@code status} property has no status to set (Kubernetes prunes
   * it), so there is nothing to do.
   */
  public static void putIfDeclared(IndexedRecord object, String field, Object value) {
    Schema.Field f = object.getSchema().getField(field);
    if (f != null) {
      object.put(f.pos(), value);
    }
  }

  public static void put(IndexedRecord object, String field, Object value) {
    Schema.Field f = object.getSchema().getField(field);
    if (f == null) {
      throw new IllegalArgumentException(object.getSchema().getFullName() + " has no field " + field);
    }
    object.put(f.pos(), value);
  }

  @SuppressWarnings("unchecked")
  public static <T extends IndexedRecord> T copy(T object) {
    return (T) SpecificData.get().deepCopy(object.getSchema(), object);
  }

  /** Whether two objects of one kind are equal in every top-level field but those named. */
  public static boolean sameExcept(IndexedRecord a, IndexedRecord b, Set<String> ignored) {
    for (Schema.Field f : a.getSchema().getFields()) {
      if (!ignored.contains(f.name()) && !EQUALITY.equal(a.get(f.pos()), b.get(f.pos()), f.schema())) {
        return false;
      }
    }
    return true;
  }

  public static boolean same(IndexedRecord a, IndexedRecord b) {
    return EQUALITY.equal(a, b, a.getSchema());
  }

  /** Metadata finalizers plus, for a Namespace, its spec finalizers (such as {@code kubernetes}). */
  public static boolean hasFinalizers(IndexedRecord object) {
    List<String> f = meta(object).getFinalizers();
    if (f != null && !f.isEmpty()) {
      return true;
    }
    return object instanceof Namespace ns && NamespaceRules.hasSpecFinalizers(ns);
  }

  /** RFC 3339 in UTC with whole seconds, as Kubernetes' metav1.Time serializes. */
  public static String timestamp(Instant t) {
    // Thousands of writes share a second: format each second once.
    FormattedSecond last = lastTimestamp;
    if (last == null || last.epochSecond() != t.getEpochSecond()) {
      last = new FormattedSecond(t.getEpochSecond(), DateTimeFormatter.ISO_INSTANT.format(t.truncatedTo(ChronoUnit.SECONDS)));
      lastTimestamp = last;
    }
    return last.text();
  }

  private record FormattedSecond(long epochSecond, String text) {}

  private static volatile FormattedSecond lastTimestamp;

  /**
   * A random (version 4) UUID. Not from SecureRandom: a uid names an object, it guards nothing,
   * and 122 random bits keep it unique without the shared lock of a secure generator.
   */
  public static String randomUid() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    long hi = (r.nextLong() & ~0xF000L) | 0x4000L;
    long lo = (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(hi, lo).toString();
  }

  public static boolean isEmpty(String s) {
    return s == null || s.isEmpty();
  }

  /** Avro's own deep equality (maps and bytes included); exposed for field-by-field use. */
  private static final class Equality extends SpecificData {
    boolean equal(Object a, Object b, Schema schema) {
      return compare(a, b, schema, true) == 0;
    }
  }
}
