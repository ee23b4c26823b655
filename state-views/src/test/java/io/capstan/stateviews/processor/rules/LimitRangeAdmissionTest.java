package io.capstan.stateviews.processor.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.capstan.api.LimitRange;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.resource.Quantity;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.junit.jupiter.api.Test;

/**
 * The LimitRanger's PersistentVolumeClaim items (PersistentVolumeClaimValidateLimitFunc): a claim's
 * storage request is held to min and max; its requests are read by field name, so any claim schema
 * with {@code spec.resources.requests} is admitted. And kube's aggregate of several refusals.
 */
class LimitRangeAdmissionTest {
  private static LimitRange range(String yaml) {
    return (LimitRange) KubeJson.fromJson(Kinds.LIMIT_RANGE, KubeJson.parse(yaml)).object();
  }

  private static final LimitRange STORAGE = range("""
      metadata: {name: storage, namespace: d}
      spec: {limits: [{type: PersistentVolumeClaim, min: {storage: 1Gi}, max: {storage: 10Gi}},
        {type: Container, max: {cpu: "1"}}]}
      """);

  @Test
  void aClaimsStorageRequestIsHeldToMinAndMax() {
    assertEquals(List.of(), LimitRangeAdmission.validateClaim(STORAGE, Map.of("storage", Quantity.parse("5Gi"))));
    assertEquals(List.of("maximum storage usage per PersistentVolumeClaim is 10Gi, but request is 20Gi"),
        LimitRangeAdmission.validateClaim(STORAGE, Map.of("storage", Quantity.parse("20Gi"))));
    assertEquals(List.of("minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi"),
        LimitRangeAdmission.validateClaim(STORAGE, Map.of("storage", Quantity.parse("500Mi"))));
    assertEquals(List.of("minimum storage usage per PersistentVolumeClaim is 1Gi.  No request is specified",
            "maximum storage usage per PersistentVolumeClaim is 10Gi.  No request is specified"),
        LimitRangeAdmission.validateClaim(STORAGE, Map.of()));
  }

  @Test
  void aClaimsRequestsAreReadByFieldName() {
    Schema requests = SchemaBuilder.record("ResourceRequirements").fields().name("requests").type().nullable().map()
        .values().stringType().noDefault().endRecord();
    Schema spec = SchemaBuilder.record("ClaimSpec").fields().name("resources").type(requests).noDefault().endRecord();
    Schema claim = SchemaBuilder.record("Claim").fields().name("spec").type(spec).noDefault().endRecord();
    GenericData.Record r = new GenericData.Record(requests);
    r.put("requests", Map.of("storage", "2Gi"));
    GenericData.Record s = new GenericData.Record(spec);
    s.put("resources", r);
    GenericData.Record c = new GenericData.Record(claim);
    c.put("spec", s);
    assertEquals(Map.of("storage", Quantity.parse("2Gi")), LimitRangeAdmission.claimRequests(c));
    GenericData.Record empty = new GenericData.Record(claim);
    assertEquals(Map.of(), LimitRangeAdmission.claimRequests(empty));
  }

  @Test
  void severalRefusalsAreListedOnceEachInBrackets() {
    assertEquals("one", LimitRangeAdmission.aggregate(List.of("one")));
    assertEquals("one", LimitRangeAdmission.aggregate(List.of("one", "one")));
    assertEquals("[one, two]", LimitRangeAdmission.aggregate(List.of("one", "two", "one")));
  }
}
