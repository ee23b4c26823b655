package io.capstan.logschema.codec;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;

/**
 * Every schema a record on the log may have been written with, by its 64-bit parsing
 * fingerprint, and the current (reader) schema of each record full name. Historic schemas
 * ship as resources listed in {@code schema-history/index.txt}, so a log written by any
 * released version decodes.
 */
public final class SchemaStore {
  /** Resource listing the historic schema files, one path per line, relative to its folder. */
  public static final String HISTORY_INDEX = "schema-history/index.txt";

  private final Map<Long, Schema> byFingerprint = new ConcurrentHashMap<>();
  private final Map<String, Schema> currentByName = new ConcurrentHashMap<>();

  /** Registers a schema as the current one for its full name (and as a known writer schema). */
  public void addCurrent(Schema schema) {
    currentByName.put(schema.getFullName(), schema);
    byFingerprint.put(fingerprint(schema), schema);
  }

  /** Registers a schema some earlier version wrote with. */
  public void addHistoric(Schema schema) {
    byFingerprint.putIfAbsent(fingerprint(schema), schema);
  }

  public Schema writerSchema(long fingerprint) {
    return byFingerprint.get(fingerprint);
  }

  public Schema currentSchema(String fullName) {
    return currentByName.get(fullName);
  }

  public Collection<Schema> currentSchemas() {
    return List.copyOf(currentByName.values());
  }

  public static long fingerprint(Schema schema) {
    return SchemaNormalization.parsingFingerprint64(schema);
  }

  /** Loads every historic schema listed in {@link #HISTORY_INDEX} on the class path. */
  public void addHistoryFromClasspath(ClassLoader loader) {
    try (InputStream index = loader.getResourceAsStream(HISTORY_INDEX)) {
      if (index == null) {
        return;
      }
      String[] lines = new String(index.readAllBytes(), StandardCharsets.UTF_8).split("\n");
      for (String line : lines) {
        String path = line.trim();
        if (path.isEmpty() || path.startsWith("#")) {
          continue;
        }
        try (InputStream in = loader.getResourceAsStream("schema-history/" + path)) {
          if (in == null) {
            throw new IllegalStateException("schema history lists a missing file: schema-history/" + path);
          }
          addHistoric(new Schema.Parser().parse(in));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + HISTORY_INDEX, e);
    }
  }
}
