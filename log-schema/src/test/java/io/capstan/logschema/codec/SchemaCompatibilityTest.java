package io.capstan.logschema.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;
import org.junit.jupiter.api.Test;

/**
 * Every current schema stays backward compatible (new code reads every old log) and forward
 * compatible (a not-yet-upgraded reader reads what new code writes) with every historic
 * version of the same record, so rolling upgrades and replays of old logs always work.
 */
class SchemaCompatibilityTest {

  @Test
  void everyCurrentSchemaIsCompatibleWithItsHistory() throws IOException {
    Map<String, List<HistoricSchema>> history = loadHistory();
    List<String> problems = new ArrayList<>();
    for (Schema current : SchemaHistoryWriter.loggedSchemas()) {
      List<HistoricSchema> versions = history.get(current.getFullName());
      if (versions == null) {
        problems.add(current.getFullName() + ": no schema history; cut a new history version (see log-schema/README.md)");
        continue;
      }
      for (HistoricSchema old : versions) {
        check(problems, "backward", current, old, SchemaCompatibility.checkReaderWriterCompatibility(current, old.schema));
        check(problems, "forward", current, old, SchemaCompatibility.checkReaderWriterCompatibility(old.schema, current));
      }
    }
    if (!problems.isEmpty()) {
      fail("schema changes break compatibility with the log history:\n  " + String.join("\n  ", problems));
    }
  }

  @Test
  void historyDecodesThroughTheDefaultCodec() throws IOException {
    for (List<HistoricSchema> versions : loadHistory().values()) {
      for (HistoricSchema old : versions) {
        assertNotNull(LogCodec.get().store().writerSchema(SchemaStore.fingerprint(old.schema)),
            old.file + " is not registered as a writer schema");
      }
    }
  }

  @Test
  void incompatibleChangeIsReported() {
    Schema v1 = new Schema.Parser().parse(
        "{\"type\":\"record\",\"name\":\"T\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"}]}");
    Schema v2 = new Schema.Parser().parse(
        "{\"type\":\"record\",\"name\":\"T\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"},"
            + "{\"name\":\"b\",\"type\":\"int\"}]}");
    // A new field without a default cannot be read from old data: the check must catch it.
    assertEquals(SchemaCompatibilityType.INCOMPATIBLE,
        SchemaCompatibility.checkReaderWriterCompatibility(v2, v1).getType());
  }

  private static void check(List<String> problems, String direction, Schema current, HistoricSchema old,
      SchemaPairCompatibility result) {
    if (result.getType() != SchemaCompatibilityType.COMPATIBLE) {
      problems.add(current.getFullName() + " is not " + direction + " compatible with " + old.file + ": "
          + result.getResult().getIncompatibilities().stream()
              .map(i -> i.getType() + " at " + i.getLocation() + " (" + i.getMessage() + ")")
              .toList());
    }
  }

  private record HistoricSchema(String file, Schema schema) {}

  private static Map<String, List<HistoricSchema>> loadHistory() throws IOException {
    ClassLoader loader = SchemaCompatibilityTest.class.getClassLoader();
    Map<String, List<HistoricSchema>> byName = new LinkedHashMap<>();
    try (InputStream index = loader.getResourceAsStream(SchemaStore.HISTORY_INDEX)) {
      assertNotNull(index, SchemaStore.HISTORY_INDEX + " is missing");
      for (String line : new String(index.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        String path = line.trim();
        if (path.isEmpty() || path.startsWith("#")) {
          continue;
        }
        try (InputStream in = loader.getResourceAsStream("schema-history/" + path)) {
          assertNotNull(in, "index lists a missing file " + path);
          Schema s = new Schema.Parser().parse(in);
          byName.computeIfAbsent(s.getFullName(), n -> new ArrayList<>()).add(new HistoricSchema(path, s));
        }
      }
    }
    assertTrue(!byName.isEmpty(), "schema history is empty");
    return byName;
  }
}
