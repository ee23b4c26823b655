package io.capstan.logschema.codec;

import io.capstan.log.Command;
import io.capstan.log.Event;
import io.capstan.log.Reply;
import io.capstan.log.Access;
import io.capstan.log.Watermark;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.kinds.TrustedModelClasses;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

/**
 * Avro single-object encoding (marker {@code C3 01}, 8-byte little-endian schema
 * fingerprint, binary body) for every record on the log. Decoding resolves the writer
 * schema named by the fingerprint into the current schema of the same record, so old logs
 * replay. Thread-safe.
 *
 * <p>Writer schemas come from the compiled schemas, the shipped history, the kinds registered in
 * this process, and, for a fingerprint none of those knows (a custom kind's schema from before its
 * definition changed), from the attached {@link SchemaSource}s (the schemas topic, {@link
 * SchemaLog}). A source is asked once per unknown fingerprint; the decoder it gives is cached, so
 * decoding stays free of I/O. A record whose name has no current schema (its definition was
 * deleted, or this process never registered its kind) decodes into its own writer schema.
 */
public final class LogCodec {
  private static final byte MARKER_0 = (byte) 0xC3;
  private static final byte MARKER_1 = (byte) 0x01;
  private static final int HEADER = 10;

  private static final LogCodec DEFAULT = createDefault();

  private final SchemaStore store;
  private final Map<Long, DatumReader<Object>> readers = new ConcurrentHashMap<>();
  private final List<SchemaSource> sources = new CopyOnWriteArrayList<>();
  private final Map<Schema, DatumWriter<Object>> writers = new ConcurrentHashMap<>();
  private final Map<Schema, byte[]> headers = new ConcurrentHashMap<>();
  private final ThreadLocal<BinaryEncoder> encoders = new ThreadLocal<>();
  private final ThreadLocal<BinaryDecoder> decoders = new ThreadLocal<>();

  public LogCodec(SchemaStore store) {
    this.store = store;
  }

  /** The codec of every current kind and envelope plus the shipped schema history. */
  public static LogCodec get() {
    return DEFAULT;
  }

  private static LogCodec createDefault() {
    LogCodec codec = new LogCodec(envelopesAndHistory());
    // Every kind's current schema, built-in or custom, as the registry has it now and later.
    Kinds.subscribe(codec::kindChanged);
    return codec;
  }

  /**
   * A codec of its own that knows the envelopes, the built-in kinds and the shipped history, and
   * no custom kind: as a fresh process knows them before it has read any definition. It does not
   * follow the kind registry; {@link #setCurrent} tells it a custom kind's current schema.
   */
  public static LogCodec builtInOnly() {
    SchemaStore store = envelopesAndHistory();
    Kinds.builtIn().forEach(k -> store.addCurrent(k.schema()));
    return new LogCodec(store);
  }

  private static SchemaStore envelopesAndHistory() {
    TrustedModelClasses.install();
    SchemaStore store = new SchemaStore();
    store.addCurrent(Command.getClassSchema());
    store.addCurrent(Reply.getClassSchema());
    store.addCurrent(Event.getClassSchema());
    store.addCurrent(Watermark.getClassSchema());
    store.addCurrent(Access.getClassSchema());
    store.addHistoryFromClasspath(LogCodec.class.getClassLoader());
    return store;
  }

  /**
   * Makes a schema the current one of its name (records written with earlier schemas of the name
   * resolve into it), as registering its kind does for the process-wide codec.
   */
  public void setCurrent(Schema schema) {
    Schema before = store.currentSchema(schema.getFullName());
    store.addCurrent(schema);
    if (!schema.equals(before)) {
      // Readers resolve into the schema they were made with: the name's old current one, or a
      // record's own writer schema while the name had none.
      readers.clear();
    }
  }

  /** Resolves fingerprints nothing else knows through this source too (see {@link SchemaLog}). */
  public void addSource(SchemaSource source) {
    sources.add(source);
  }

  public void removeSource(SchemaSource source) {
    sources.remove(source);
  }

  /**
   * A kind entered the registry or changed its schema: its schema is the current one of its name
   * (old records of the kind resolve into it), and a kind that left keeps its writer schemas, so
   * its records in the event log still decode.
   */
  private void kindChanged(Kinds.Change change) {
    if (change instanceof Kinds.Change.Registered r) {
      setCurrent(r.kind().schema()); // readers resolve into the current schema they were made with
    }
  }

  /**
   * Registers a schema some record on the log was written with (a custom kind's schema before its
   * CRD changed), so such records decode.
   */
  public void addWriterSchema(Schema schema) {
    store.addHistoric(schema);
  }

  public SchemaStore store() {
    return store;
  }

  /** Encodes a record (specific or generic) with its schema's fingerprint. */
  public byte[] encode(org.apache.avro.generic.IndexedRecord record) {
    Schema schema = record.getSchema();
    byte[] header = headers.computeIfAbsent(schema, LogCodec::headerOf);
    DatumWriter<Object> writer = writers.computeIfAbsent(schema, s -> new SpecificDatumWriter<>(s, SpecificData.get()));
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    out.write(header, 0, header.length);
    BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, encoders.get());
    encoders.set(enc);
    try {
      writer.write(record, enc);
      enc.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("encoding " + schema.getFullName(), e);
    }
    return out.toByteArray();
  }

  /** The fingerprint in a record's header, or a {@link MalformedRecordException}. */
  public static long fingerprintOf(byte[] bytes) {
    if (bytes == null || bytes.length < HEADER || bytes[0] != MARKER_0 || bytes[1] != MARKER_1) {
      throw new MalformedRecordException("not an Avro single-object encoded record (missing C3 01 marker)");
    }
    long fp = 0;
    for (int i = 9; i >= 2; i--) {
      fp = (fp << 8) | (bytes[i] & 0xFFL);
    }
    return fp;
  }

  /** The schema the record was written with. */
  public Schema writerSchemaOf(byte[] bytes) {
    return writerSchema(fingerprintOf(bytes));
  }

  /** The writer schema of a fingerprint: known here, or found in a source, or an error naming it. */
  private Schema writerSchema(long fp) {
    Schema s = store.writerSchema(fp);
    if (s != null) {
      return s;
    }
    for (SchemaSource source : sources) {
      s = source.find(fp);
      if (s != null) {
        store.addHistoric(s);
        return s;
      }
    }
    StringBuilder msg = new StringBuilder("unknown schema fingerprint ").append(RecordedSchema.key(fp))
        .append(": not among the schemas this process knows");
    if (sources.isEmpty()) {
      msg.append(", and no schema source is attached (the schemas topic is not read)");
    }
    for (SchemaSource source : sources) {
      msg.append(", nor in ").append(source.describe());
    }
    throw new MalformedRecordException(msg.toString());
  }

  /**
   * Decodes into the current schema of the record's name: the specific class of a built-in kind
   * or envelope, a generic record (holding specific ObjectMeta and the like) for a custom kind.
   */
  @SuppressWarnings("unchecked")
  public <T extends IndexedRecord> T decode(byte[] bytes) {
    long fp = fingerprintOf(bytes);
    DatumReader<Object> reader = readers.get(fp);
    if (reader == null) {
      // Not computeIfAbsent: finding a schema may wait on a source, and must not hold a map lock.
      reader = readerFor(fp);
      readers.putIfAbsent(fp, reader);
    }
    BinaryDecoder dec = DecoderFactory.get().binaryDecoder(bytes, HEADER, bytes.length - HEADER, decoders.get());
    decoders.set(dec);
    try {
      return (T) reader.read(null, dec);
    } catch (IOException | RuntimeException e) {
      throw new MalformedRecordException("corrupt record body (schema fingerprint " + Long.toHexString(fp) + "): " + e, e);
    }
  }

  /** Decodes and checks the type, e.g. {@code decode(bytes, Command.class)}. */
  public <T extends SpecificRecord> T decode(byte[] bytes, Class<T> type) {
    Object o = decode(bytes);
    if (!type.isInstance(o)) {
      throw new MalformedRecordException("expected a " + type.getSimpleName() + " record but found "
          + ((IndexedRecord) o).getSchema().getFullName());
    }
    return type.cast(o);
  }

  private DatumReader<Object> readerFor(long fp) {
    Schema writer = writerSchema(fp);
    Schema reader = store.currentSchema(writer.getFullName());
    if (reader == null) {
      reader = writer; // no kind of this name here (a deleted definition): the record as written
    }
    return new SpecificDatumReader<>(writer, reader, SpecificData.get());
  }

  private static byte[] headerOf(Schema schema) {
    long fp = SchemaStore.fingerprint(schema);
    byte[] h = new byte[HEADER];
    h[0] = MARKER_0;
    h[1] = MARKER_1;
    for (int i = 0; i < 8; i++) {
      h[2 + i] = (byte) (fp >>> (8 * i));
    }
    return h;
  }
}
