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
    for (int i = 0; i < 600; i++) {
      tags.append(i == 0 ? "" : ",").append("\"t").append(i).append('"');
    }
    List<String> few = CelRules.evaluate(schema, KubeJson.parse("{\"spec\": {\"tags\": [\"a\", \"b\"]}}"), null)
        .stream().map(FieldError::toString).toList();
    assertEquals(List.of(), few);
    List<String> many = CelRules.evaluate(schema, KubeJson.parse("{\"spec\": {\"tags\": [" + tags + "]}}"), null)
        .stream().map(FieldError::toString).toList();
    assertEquals(1, many.size(), many.toString());
    assertEquals("spec: Invalid value: \"object\": call cost exceeds limit for rule: self.tags.all(a, self.tags.all(b, true))",
        many.get(0), "600 x 600 iterations cost more than the per-call limit");
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

  @Test
  void rulesOfOneWriteShareTheRequestBudget() {
    JsonNode schema = KubeJson.parse("""
        {"type": "object", "properties": {"spec": {"type": "object", "properties": {"groups": {"type": "array",
          "items": {"type": "object", "properties": {"tags": {"type": "array", "items": {"type": "string"}}},
            "x-kubernetes-validations": [{"rule": "self.tags.all(a, self.tags.all(b, true))"}]}}}}}}
        """);
    StringBuilder group = new StringBuilder("{\"tags\": [");
    for (int i = 0; i < 300; i++) {
      group.append(i == 0 ? "" : ",").append("\"t").append(i).append('"');
    }
    group.append("]}");
    // one group's rule stays under the per-call limit; forty-five of them exceed what one write may spend
    List<String> one = CelRules.evaluate(schema, KubeJson.parse("{\"spec\": {\"groups\": [" + group + "]}}"), null)
        .stream().map(FieldError::toString).toList();
    assertEquals(List.of(), one);
    String many = String.join(",", java.util.Collections.nCopies(45, group.toString()));
    List<String> errors = CelRules.evaluate(schema, KubeJson.parse("{\"spec\": {\"groups\": [" + many + "]}}"), null)
        .stream().map(FieldError::toString).toList();
    assertEquals(1, errors.size(), errors.toString());
    assertTrue(errors.get(0).matches("spec\\.groups\\[[0-9]+\\]: Invalid value: \"object\": validation failed due to "
        + "running out of cost budget, no further validation rules will be run"), errors.get(0));
  }

  private static final JsonNode PORTS = KubeJson.parse("""
      {"type": "object", "properties": {"spec": {"type": "object", "properties": {
        "ports": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name", "protocol"],
          "items": {"type": "object", "required": ["name", "protocol"], "properties": {
            "name": {"type": "string"}, "protocol": {"type": "string"}, "port": {"type": "integer"}},
            "x-kubernetes-validations": [{"rule": "self.port >= oldSelf.port", "message": "port may not go down"}]}},
        "hosts": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}},
          "x-kubernetes-validations": [{"rule": "self.name.size() > 0"}]}}}}}}
      """);

  @Test
  void transitionRulesInMapListItemsSeeTheOldItemWithTheSameKeys() {
    String old = """
        {"spec": {"ports": [{"name": "http", "protocol": "TCP", "port": 80}, {"name": "http", "protocol": "UDP", "port": 90}]}}
        """;
    // reordered, one raised, one lowered, one new (no old item: the rule is not evaluated)
    String now = """
        {"spec": {"ports": [{"name": "dns", "protocol": "UDP", "port": 1}, {"name": "http", "protocol": "UDP", "port": 85},
          {"name": "http", "protocol": "TCP", "port": 8080}]}}
        """;
    List<String> errors = CelRules.evaluate(PORTS, KubeJson.parse(now), KubeJson.parse(old)).stream()
        .map(FieldError::toString).toList();
    assertEquals(List.of("spec.ports[1]: Invalid value: \"object\": port may not go down"), errors);
    assertEquals(List.of(), CelRules.evaluate(PORTS, KubeJson.parse(now), null), "create: no old items");
  }

  @Test
  void transitionRulesInsideAtomicOrSetListsAreRefusedAtTheDefinition() {
    List<FieldError> errors = new ArrayList<>();
    CelRules.checkCompiles(PORTS, "spec.versions[0].schema.openAPIV3Schema", errors);
    assertEquals(List.of(), errors, "map lists correlate their items");
    JsonNode atomic = KubeJson.parse("""
        {"type": "object", "properties": {"spec": {"type": "object", "properties": {
          "steps": {"type": "array", "items": {"type": "object", "properties": {"names": {"type": "array",
            "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["n"],
            "items": {"type": "object", "properties": {"n": {"type": "string"}},
              "x-kubernetes-validations": [{"rule": "self == oldSelf"}]}}}}},
          "tags": {"type": "object", "maxProperties": 100, "additionalProperties": {"type": "string", "maxLength": 63,
            "x-kubernetes-validations": [{"rule": "self == oldSelf"}]}}}}}}
        """);
    CelRules.checkCompiles(atomic, "spec.versions[0].schema.openAPIV3Schema", errors);
    assertEquals(List.of("spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[steps].items"
        + ".properties[names].items.x-kubernetes-validations[0].rule: Invalid value: \"self == oldSelf\": oldSelf cannot be "
        + "used on the uncorrelatable portion of the schema within "
        + "spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[steps]"),
        errors.stream().map(FieldError::toString).toList(), "the highest uncorrelatable list is named; maps correlate");
  }

  @Test
  void messagesAndFieldPathsOfRulesAreCheckedAtTheDefinition() {
    JsonNode schema = KubeJson.parse("""
        {"type": "object", "properties": {"spec": {"type": "object", "x-kubernetes-validations": [
          {"rule": "true", "fieldPath": ".replicas"},
          {"rule": "true", "fieldPath": ".labels['app.kubernetes.io/name']"},
          {"rule": "true", "fieldPath": ".replica"},
          {"rule": "true", "fieldPath": ".ports[0]"},
          {"rule": "true", "message": "   "},
          {"rule": "true", "message": "two\\nlines"},
          {"rule": "true &&\\ntrue"},
          {"rule": "true", "messageExpression": " "}],
          "properties": {"replicas": {"type": "integer"},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "ports": {"type": "array", "items": {"type": "integer"}}}}}}
        """);
    List<FieldError> errors = new ArrayList<>();
    CelRules.checkCompiles(schema, "s", errors);
    String at = "s.properties[spec].x-kubernetes-validations";
    assertEquals(List.of(
        at + "[2].fieldPath: Invalid value: \".replica\": fieldPath must be a valid path",
        at + "[3].fieldPath: Invalid value: \".ports[0]\": fieldPath must be a valid path",
        at + "[4].message: Invalid value: \"   \": message must be non-empty if specified",
        at + "[5].message: Invalid value: \"two\nlines\": message must not contain line breaks",
        at + "[6].message: Required value: message must be specified if rule contains line breaks",
        at + "[7].messageExpression: Required value: messageExpression must be non-empty if specified"),
        errors.stream().map(FieldError::toString).toList());
  }

  @Test
  void aFieldPathNamesPropertiesAndMapKeysAsKubernetesDoes() {
    JsonNode schema = KubeJson.parse("""
        {"type": "object", "properties": {"spec": {"type": "object", "x-kubernetes-validations": [
          {"rule": "self.labels['app.kubernetes.io/name'] != 'x'", "fieldPath": ".labels['app.kubernetes.io/name']"},
          {"rule": "self.labels.tier != 'x'", "fieldPath": "['labels'].tier"}],
          "properties": {"labels": {"type": "object", "additionalProperties": {"type": "string"}}}}}}
        """);
    List<String> errors = CelRules.evaluate(schema, KubeJson.parse(
        "{\"spec\": {\"labels\": {\"app.kubernetes.io/name\": \"x\", \"tier\": \"x\"}}}"), null)
        .stream().map(FieldError::toString).toList();
    assertEquals(List.of(
        "spec.labels[app.kubernetes.io/name]: Invalid value: \"object\": failed rule: self.labels['app.kubernetes.io/name'] != 'x'",
        "spec.labels.tier: Invalid value: \"object\": failed rule: self.labels.tier != 'x'"), errors);
  }
}
