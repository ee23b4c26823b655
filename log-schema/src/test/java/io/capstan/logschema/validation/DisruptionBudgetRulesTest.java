package io.capstan.logschema.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.logschema.defaults.ObjectDefaults;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kinds;
import java.util.List;
import org.apache.avro.generic.IndexedRecord;
import org.junit.jupiter.api.Test;

/** PodDisruptionBudget validation as kube's policy validation. */
class DisruptionBudgetRulesTest {

  private static List<String> errors(String yaml) {
    IndexedRecord o = KubeJson.fromJson(Kinds.POD_DISRUPTION_BUDGET, KubeJson.parse(yaml)).object();
    ObjectDefaults.apply(o);
    return ObjectValidator.validate(Kinds.POD_DISRUPTION_BUDGET, o).stream().map(FieldError::toString).toList();
  }

  private static void assertHas(List<String> errors, String expected) {
    assertTrue(errors.contains(expected), "expected <" + expected + "> in " + errors);
  }

  @Test
  void aBudgetWithACountOrAPercentageIsValid() {
    assertEquals(List.of(), errors("""
        metadata: {name: web, namespace: default}
        spec: {minAvailable: 2, selector: {matchLabels: {app: web}}}
        """));
    assertEquals(List.of(), errors("""
        metadata: {name: web, namespace: default}
        spec: {maxUnavailable: "25%", selector: {matchExpressions: [{key: app, operator: In, values: [web]}]},
               unhealthyPodEvictionPolicy: AlwaysAllow}
        """));
  }

  @Test
  void bothMinAvailableAndMaxUnavailableAreRefused() {
    List<String> bad = errors("""
        metadata: {name: web, namespace: default}
        spec: {minAvailable: 1, maxUnavailable: "50%", selector: {matchLabels: {app: web}}}
        """);
    assertEquals(1, bad.size(), bad::toString);
    assertTrue(bad.get(0).startsWith("spec: Invalid value: "), bad::toString);
    assertTrue(bad.get(0).endsWith(": minAvailable and maxUnavailable cannot be both set"), bad::toString);
  }

  @Test
  void badCountsPercentagesSelectorsAndPoliciesNameTheirField() {
    List<String> bad = errors("""
        metadata: {name: web, namespace: default}
        spec: {minAvailable: -1, selector: {matchExpressions: [{key: app, operator: In}]},
               unhealthyPodEvictionPolicy: Sometimes}
        status: {disruptionsAllowed: -2}
        """);
    assertHas(bad, "spec.minAvailable: Invalid value: -1: must be greater than or equal to 0");
    assertHas(bad, "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is"
        + " 'In' or 'NotIn'");
    assertHas(bad, "spec.unhealthyPodEvictionPolicy: Unsupported value: \"Sometimes\": supported values: "
        + "\"AlwaysAllow\", \"IfHealthyBudget\"");
    assertHas(bad, "status.disruptionsAllowed: Invalid value: -2: must be greater than or equal to 0");
    assertHas(errors("""
        metadata: {name: web, namespace: default}
        spec: {maxUnavailable: "150%"}
        """), "spec.maxUnavailable: Invalid value: \"150%\": must not be greater than 100%");
    assertHas(errors("""
        metadata: {name: web, namespace: default}
        spec: {maxUnavailable: "half"}
        """), "spec.maxUnavailable: Invalid value: \"half\": a valid percent string must be a numeric string followed"
        + " by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')");
  }
}
