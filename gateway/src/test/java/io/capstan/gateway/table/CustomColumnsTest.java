package io.capstan.gateway.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kind;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Printer column cells as apiextensions-apiserver's table convertor makes them. */
class CustomColumnsTest {
  private static final Instant NOW = Instant.parse("2026-01-01T01:00:00Z");
  private static final JsonNode OBJECT = KubeJson.parse("""
      {"metadata": {"name": "w", "creationTimestamp": "2026-01-01T00:00:00Z"},
       "spec": {"size": "small", "replicas": 3, "ratio": 0.5, "labels": {"a": "b"}},
       "status": {"ready": true, "conditions": [{"type": "Synced", "status": "False"},
                                                {"type": "Ready", "status": "True"}]}}
      """);

  private static JsonNode cell(String type, String path) {
    return CustomColumns.cell(new Kind.PrinterColumn("C", type, null, null, 0, path), OBJECT, NOW);
  }

  @Test
  void cellsAreTypedAsTheColumnSays() {
    assertEquals("small", cell("string", ".spec.size").asText());
    assertEquals(3L, cell("integer", ".spec.replicas").longValue());
    assertTrue(cell("integer", ".spec.replicas").isIntegralNumber());
    assertEquals(0.5, cell("number", ".spec.ratio").doubleValue());
    assertTrue(cell("boolean", ".status.ready").booleanValue());
    assertEquals("60m", cell("date", ".metadata.creationTimestamp").asText());
    assertEquals("{\"a\":\"b\"}", cell("string", ".spec.labels").asText());
  }

  @Test
  void filtersAndBracesAsKubernetesWritesThem() {
    assertEquals("True", cell("string", ".status.conditions[?(@.type==\"Ready\")].status").asText());
    assertEquals("False", cell("string", "{.status.conditions[0].status}").asText());
  }

  @Test
  void aMissingOrMistypedValueIsAnEmptyCell() {
    assertTrue(cell("string", ".spec.nothing").isNull());
    assertTrue(cell("integer", ".spec.size").isNull());
    assertTrue(cell("date", ".spec.size").isNull());
    assertTrue(cell("string", ".status.conditions[?(@.type==\"Gone\")].status").isNull());
  }
}
