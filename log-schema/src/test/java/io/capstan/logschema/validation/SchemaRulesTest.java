package io.capstan.logschema.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ConfigMap;
import io.capstan.api.ObjectMeta;
import io.capstan.logschema.kinds.Kinds;
import java.util.List;
import org.junit.jupiter.api.Test;

class SchemaRulesTest {

  @Test
  void plainUtcTimestampsAreRecognisedWithoutAParserAndOthersFallThrough() {
    assertTrue(SchemaRules.isPlainUtcTimestamp("2026-11-27T04:10:09Z"));
    assertFalse(SchemaRules.isPlainUtcTimestamp("2026-11-27T04:10:09.5Z"), "fractions go to the full parse");
    assertFalse(SchemaRules.isPlainUtcTimestamp("2026-11-30T04:10:09Z"), "days past 28 go to the full parse");
    assertFalse(SchemaRules.isPlainUtcTimestamp("2026-13-01T04:10:09Z"));
    assertFalse(SchemaRules.isPlainUtcTimestamp("2026-1x-01T04:10:09Z"));
  }

  private static List<FieldError> withCreationTimestamp(String ts) {
    ConfigMap cm = ConfigMap.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setName("c").setNamespace("default").setCreationTimestamp(ts).build())
        .build();
    return ObjectValidator.validate(Kinds.CONFIG_MAP, cm);
  }

  @Test
  void timestampsAreCheckedOnBothPaths() {
    assertEquals(List.of(), withCreationTimestamp("2026-11-27T04:10:09Z"));
    assertEquals(List.of(), withCreationTimestamp("2026-11-30T04:10:09+01:00"));
    assertEquals(List.of("metadata.creationTimestamp"), withCreationTimestamp("2026-11-31T04:10:09Z").stream().map(FieldError::field).toList());
    assertEquals(List.of("metadata.creationTimestamp"), withCreationTimestamp("yesterday").stream().map(FieldError::field).toList());
  }
}
