package io.capstan.logschema.codec;

import io.capstan.log.Command;
import io.capstan.log.Event;
import io.capstan.log.Reply;
import io.capstan.log.Watermark;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.kinds.TrustedModelClasses;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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
 */
public final class LogCodec {
  private static final byte MARKER_0 = (byte) 0xC3;
  private static final byte MARKER_1 = (byte) 0x01;
  private static final int HEADER = 10;

  private static final LogCodec DEFAULT = createDefault();

  private final SchemaStore store;
  private final Map<Long, DatumReader<Object>> readers = new ConcurrentHashMap<>();
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
    TrustedModelClasses.install();
    SchemaStore store = new SchemaStore();
    store.addCurrent(Command.getClassSchema());
    store.addCurrent(Reply.getClassSchema());
    store.addCurrent(Event.getClassSchema());
    store.addCurrent(Watermark.getClassSchema());
    store.addHistoryFromClasspath(LogCodec.class.getClassLoader());
    LogCodec codec = new LogCodec(store);
    // Every kind's current schema, built-in or custom, as the registry has it now and later.
    Kinds.subscribe(codec::kindChanged);
    return codec;
  }

  /**
   * A kind entered the registry or changed its schema: its schema is the current one of its name
   * (old records of the kind resolve into it), and a kind that left keeps its writer schemas, so
   * its records in the event log still decode.
   */
  private void kindChanged(Kinds.Change change) {
    if (change instanceof Kinds.Change.Registered r) {
      Schema schema = r.kind().schema();
      Schema before = store.currentSchema(schema.getFullName());
      store.addCurrent(schema);
      if (before != null && !before.equals(schema)) {
        readers.clear(); // readers resolve into the current schema they were made with
      }
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
    long fp = fingerprintOf(bytes);
    Schema s = store.writerSchema(fp);
    if (s == null) {
      throw new MalformedRecordException("unknown schema fingerprint " + Long.toHexString(fp));
    }
    return s;
  }

  /**
   * Decodes into the current schema of the record's name: the specific class of a built-in kind
   * or envelope, a generic record (holding specific ObjectMeta and the like) for a custom kind.
   */
  @SuppressWarnings("unchecked")
  public <T extends IndexedRecord> T decode(byte[] bytes) {
    long fp = fingerprintOf(bytes);
    DatumReader<Object> reader = readers.computeIfAbsent(fp, this::readerFor);
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
    Schema writer = store.writerSchema(fp);
    if (writer == null) {
      throw new MalformedRecordException("unknown schema fingerprint " + Long.toHexString(fp));
    }
    Schema reader = store.currentSchema(writer.getFullName());
    if (reader == null) {
      throw new MalformedRecordException("no current schema for " + writer.getFullName());
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
