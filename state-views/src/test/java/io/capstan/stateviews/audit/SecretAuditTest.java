package io.capstan.stateviews.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** Audit shows that a Secret's data changed, never the values (not even sealed ones). */
class SecretAuditTest {

  @Test
  void secretMergePatchNamesChangedKeysWithoutValues() {
    assertEquals("{\"metadata\":{\"labels\":{\"a\":\"b\"}},\"data\":{\"capstan.io.sealed\":\"(changed)\",\"gone\":null}}",
        AuditTrail.secretPatch("{\"metadata\":{\"labels\":{\"a\":\"b\"}},\"data\":{\"capstan.io.sealed\":\"Y2FwYw==\","
            + "\"gone\":null}}"));
    assertEquals("{\"stringData\":\"(changed)\"}", AuditTrail.secretPatch("{\"stringData\":\"x\"}"));
    assertEquals("(a Secret's merge patch, not shown)", AuditTrail.secretPatch("{not json"));
    assertNull(AuditTrail.secretPatch(null));
  }

  @Test
  void secretValuesChangeAsOneFieldCalledData() {
    assertEquals(java.util.List.of("metadata.labels", "data"), AuditTrail.secretPaths(java.util.List.of(
        "metadata.labels", "data[capstan.io.sealed]", "stringData.user", "data")));
  }
}
