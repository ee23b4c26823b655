package io.capstan.logschema.crd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.validation.FieldError;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** x-kubernetes-validations with dev.cel: compilation at the definition, rules on objects. */
class CelRulesTest {
  private static final JsonNode SCHEMA = KubeJson.parse("""
      {"type": "object", "properties": {"spec": {"type": "object",
        "x-kubernetes-validations": [
          {"rule": "!has(self.replicas) || self.replicas <= self.maxReplicas", "message": "replicas above maxReplicas",
           "fieldPath": ".replicas"},
          {"rule": "self.size != 'huge'", "messageExpression": "'size ' + self.size + ' is too big'",
           "reason": "FieldValueForbidden"}],
        "properties": {
          "replicas": {"type": "integer"}, "maxReplicas": {"type": "integer", "default": 10},
          "size": {"type": "string", "x-kubernetes-validations": [
            {"rule": "self == oldSelf || oldSelf != 'large'", "message": "a large size cannot change"}]},
          "tags": {"type": "array", "items": {"type": "string",
            "x-kubernetes-validations": [{"rule": "self.size() <= 3"}]}}}}}}
      """);

  private static List<String> errors(String json, String old) {
    return CelRules.evaluate(SCHEMA, KubeJson.parse(json), old == null ? null : KubeJson.parse(old)).stream()
        .map(FieldError::toString).toList();
  }

  @Test
  void rulesGiveTheirMessageReasonAndFieldPath() {
    assertEquals(List.of(), errors("{\"spec\": {\"replicas\": 3, \"maxReplicas\": 5, \"size\": \"small\"}}", null));
    assertEquals(List.of("spec.replicas: Invalid value: \"object\": replicas above maxReplicas",
        "spec: Forbidden: size huge is too big"),
        errors("{\"spec\": {\"replicas\": 9, \"maxReplicas\": 5, \"size\": \"huge\"}}", null));
    assertEquals(List.of("spec.tags[1]: Invalid value: \"long-tag\": failed rule: self.size() <= 3"),
        errors("{\"spec\": {\"size\": \"small\", \"tags\": [\"ok\", \"long-tag\"]}}", null));
  }

  @Test
  void transitionRulesSeeTheStoredValueOnlyOnUpdates() {
    String large = "{\"spec\": {\"size\": \"large\"}}";
    String small = "{\"spec\": {\"size\": \"small\"}}";
    assertEquals(List.of(), errors(small, null), "no old value: the transition rule is not evaluated");
    assertEquals(List.of(), errors(large, small));
    assertEquals(List.of("spec.size: Invalid value: \"small\": a large size cannot change"), errors(small, large));
  }

  @Test
  void aRuleThatWorksTooHardFailsInsteadOfRunningOn() {
    JsonNode schema = KubeJson.parse("""
        {"type": "object", "properties": {"spec": {"type": "object", "x-kubernetes-validations": [
          {"rule": "self.tags.all(a, self.tags.all(b, true))"}],
          "properties": {"tags": {"type": "array", "items": {"type": "string"}}}}}}
        """);
    StringBuilder tags = new StringBuilder();
    for (int i = 0; i < 400; i++) {
      tags.append(i == 0 ? "" : ",").append("\"t").append(i).append('"');
    }
    List<String> few = CelRules.evaluate(schema, KubeJson.parse("{\"spec\": {\"tags\": [\"a\", \"b\"]}}"), null)
        .stream().map(FieldError::toString).toList();
    assertEquals(List.of(), few);
    List<String> many = CelRules.evaluate(schema, KubeJson.parse("{\"spec\": {\"tags\": [" + tags + "]}}"), null)
        .stream().map(FieldError::toString).toList();
    assertEquals(1, many.size(), many.toString());
    assertTrue(many.get(0).startsWith("spec: Invalid value: \"object\": rule evaluation failed"), many.get(0));
  }

  @Test
  void aRuleThatDoesNotCompileIsNamedAtTheDefinition() {
    JsonNode bad = KubeJson.parse("""
        {"type": "object", "properties": {"spec": {"type": "object", "x-kubernetes-validations": [
          {"rule": "self.replicas <="}, {"rule": "true", "messageExpression": "1 +"}, {"rule": "true", "reason": "Nope"}]}}}
        """);
    List<FieldError> errors = new ArrayList<>();
    CelRules.checkCompiles(bad, "spec.versions[0].schema.openAPIV3Schema", errors);
    List<String> shown = errors.stream().map(FieldError::toString).toList();
    assertEquals(3, shown.size(), shown.toString());
    assertTrue(shown.get(0).startsWith("spec.versions[0].schema.openAPIV3Schema.properties[spec]"
        + ".x-kubernetes-validations[0].rule: Invalid value: \"self.replicas <=\": compilation failed: ERROR:"), shown.get(0));
    assertTrue(shown.get(1).contains("x-kubernetes-validations[1].messageExpression: Invalid value: \"1 +\":"
        + " messageExpression compilation failed"), shown.get(1));
    assertTrue(shown.get(2).startsWith("spec.versions[0].schema.openAPIV3Schema.properties[spec]"
        + ".x-kubernetes-validations[2].reason: Unsupported value: \"Nope\""), shown.get(2));
  }
}
