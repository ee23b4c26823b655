package io.capstan.logschema.codec;

import static org.junit.jupiter.api.Assertions.assertFalse;

import io.capstan.log.Command;
import io.capstan.log.Event;
import io.capstan.log.Reply;
import io.capstan.log.Watermark;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Cuts a schema history version: writes the current schema of every kind and envelope to
 * {@code src/main/resources/schema-history/<version>/} and appends them to the index.
 * Not a test: it runs only when asked, see log-schema/README.md:
 * {@code mvn -q -o -pl log-schema test -Dtest=SchemaHistoryWriter -Dcapstan.schemaHistory.cut=v2}
 */
class SchemaHistoryWriter {
  static final String PROPERTY = "capstan.schemaHistory.cut";

  /**
   * Every compiled schema that reaches the log: each built-in kind's object, the four envelopes and the gateways' access records.
   * (Custom kinds' schemas are derived from their CRDs, which the log itself holds.)
   */
  static List<Schema> loggedSchemas() {
    List<Schema> schemas = new ArrayList<>();
    for (Kind k : Kinds.builtIn()) {
      schemas.add(k.schema());
    }
    schemas.add(Command.getClassSchema());
    schemas.add(Reply.getClassSchema());
    schemas.add(Event.getClassSchema());
    schemas.add(Watermark.getClassSchema());
    schemas.add(io.capstan.log.Access.getClassSchema());
    return schemas;
  }

  @Test
  @EnabledIfSystemProperty(named = PROPERTY, matches = "v[0-9]+")
  void cutVersion() throws IOException {
    String version = System.getProperty(PROPERTY);
    Path history = Path.of("src/main/resources/schema-history");
    Path dir = history.resolve(version);
    assertFalse(Files.exists(dir), "schema history " + version + " already exists; versions are immutable");
    Files.createDirectories(dir);
    StringBuilder index = new StringBuilder();
    Path indexFile = history.resolve("index.txt");
    if (Files.exists(indexFile)) {
      index.append(Files.readString(indexFile, StandardCharsets.UTF_8));
    } else {
      index.append("# Schema history: every schema a released Capstan wrote to the log. Never edit or remove.\n");
    }
    for (Schema s : loggedSchemas()) {
      String file = s.getFullName() + ".avsc";
      Files.writeString(dir.resolve(file), s.toString(true) + "\n", StandardCharsets.UTF_8);
      index.append(version).append('/').append(file).append('\n');
    }
    Files.writeString(indexFile, index.toString(), StandardCharsets.UTF_8);
  }
}
