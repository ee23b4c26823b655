package io.capstan.logschema.crd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.validation.FieldError;
import io.capstan.logschema.validation.ObjectValidator;
import java.util.List;
import org.apache.avro.generic.IndexedRecord;
import org.junit.jupiter.api.Test;

class CustomResourceDefinitionsTest {

  private static List<String> errors(String yaml) {
    return CustomResourceDefinitions.validate(CrdFixtures.crd(yaml)).stream().map(FieldError::toString).toList();
  }

  @Test
  void aValidDefinitionHasNoErrors() {
    assertEquals(List.of(), CustomResourceDefinitions.validate(CrdFixtures.widgets()));
  }

  @Test
  void theNameMustBePluralDotGroup() {
    assertEquals(List.of("metadata.name: Invalid value: \"gadgets.example.com\": must be spec.names.plural+\".\"+spec.group"),
        errors(CrdFixtures.text("widgets.yaml").replace("name: widgets.example.com", "name: gadgets.example.com")));
  }

  @Test
  void exactlyOneStorageVersion() {
    String two = CrdFixtures.text("widgets.yaml").replace("  versions:\n", """
          versions:
          - name: v2
            served: true
            storage: true
            schema:
              openAPIV3Schema: {type: object}
        """);
    assertEquals(List.of("spec.versions: Invalid value: \"2 storage versions\": must have exactly one version marked"
        + " as storage version"), errors(two));
  }

  /** x-kubernetes-list-type, -list-map-keys and -map-type with kube-apiserver's messages and paths. */
  @Test
  void listAndMapTypesAreChecked() {
    String at = "spec.versions[0].schema.openAPIV3Schema.properties[spec].properties";
    String fine = CrdFixtures.text("widgets.yaml").replace("""
                      tags:
                        type: array
                        items:
                          type: string
        """, """
                      tags:
                        type: array
                        x-kubernetes-list-type: set
                        items:
                          type: string
                      ports:
                        type: array
                        x-kubernetes-list-type: map
                        x-kubernetes-list-map-keys: [name, protocol]
                        items:
                          type: object
                          required: [name]
                          properties:
                            name: {type: string}
                            protocol: {type: string, default: TCP}
                      flags:
                        type: object
                        x-kubernetes-map-type: atomic
                        additionalProperties: {type: boolean}
        """);
    assertEquals(List.of(), errors(fine));
    assertEquals(List.of(at + "[tags].x-kubernetes-list-type: Unsupported value: \"bag\": supported values: \"atomic\", "
        + "\"set\", \"map\""), errors(fine.replace("x-kubernetes-list-type: set", "x-kubernetes-list-type: bag")));
    assertEquals(List.of(at + "[flags].type: Invalid value: \"object\": must be array if x-kubernetes-list-type is specified"),
        errors(fine.replace("x-kubernetes-map-type: atomic", "x-kubernetes-list-type: atomic")));
    assertEquals(List.of(at + "[flags].x-kubernetes-map-type: Unsupported value: \"fine\": supported values: \"atomic\", "
        + "\"granular\""), errors(fine.replace("x-kubernetes-map-type: atomic", "x-kubernetes-map-type: fine")));
    assertEquals(List.of(at + "[ports].items.properties[protocol].default: Required value: this property is in "
        + "x-kubernetes-list-map-keys, so it must have a default or be a required property"),
        errors(fine.replace("protocol: {type: string, default: TCP}", "protocol: {type: string}")));
    assertEquals(List.of(at + "[ports].x-kubernetes-list-map-keys: Invalid value: []string{\"name\", \"port\"}: "
        + "entries must all be names of item properties"), errors(fine.replace("[name, protocol]", "[name, port]")));
    assertEquals(List.of(at + "[ports].x-kubernetes-list-map-keys: Required value: must not be empty if "
        + "x-kubernetes-list-type is map"), errors(fine.replace("x-kubernetes-list-map-keys: [name, protocol]", "")));
    assertEquals(List.of(at + "[tags].x-kubernetes-list-type: Invalid value: \"set\": must be map if "
        + "x-kubernetes-list-map-keys is non-empty"), errors(fine.replace("x-kubernetes-list-type: set",
        "x-kubernetes-list-type: set\n                x-kubernetes-list-map-keys: [a]")));
    assertEquals(List.of(at + "[ports].items.properties[name].nullable: Forbidden: this property is in "
        + "x-kubernetes-list-map-keys, so it cannot be nullable"),
        errors(fine.replace("name: {type: string}", "name: {type: string, nullable: true}")));
    assertEquals(List.of(at + "[tags].items.x-kubernetes-map-type: Invalid value: \"\": must be atomic as item of a list "
        + "with x-kubernetes-list-type=set"), errors(fine.replace(
        "                items:\n                  type: string\n              ports:",
        "                items:\n                  type: object\n                  properties: {a: {type: string}}\n"
            + "              ports:")));
  }

  @Test
  void scopeGroupAndNamesAreChecked() {
    List<String> e = errors(CrdFixtures.text("widgets.yaml").replace("scope: Namespaced", "scope: Global")
        .replace("kind: Widget", "kind: Wid-get").replace("conversion", ""));
    assertTrue(e.contains("spec.scope: Unsupported value: \"Global\": supported values: \"Cluster\", \"Namespaced\""), e.toString());
    assertTrue(e.stream().anyMatch(s -> s.startsWith("spec.names.kind: Invalid value: \"Wid-get\"")), e.toString());
  }

  @Test
  void printerColumnsAreCheckedAndEnterTheKindPerVersion() {
    String withColumns = CrdFixtures.text("widgets.yaml").replace("    schema:\n", """
            additionalPrinterColumns:
            - {name: Size, type: string, jsonPath: .spec.size}
            - {name: Ready, type: boolean, jsonPath: '.status.conditions[?(@.type=="Ready")].status', priority: 1}
            schema:
        """);
    assertEquals(List.of(), errors(withColumns));
    Kind kind = CustomResourceDefinitions.kindOf(CrdFixtures.crd(withColumns));
    List<Kind.PrinterColumn> columns = kind.details("v1").orElseThrow().printerColumns();
    assertEquals(List.of("Size", "Ready"), columns.stream().map(Kind.PrinterColumn::name).toList());
    assertEquals(1, columns.get(1).priority());

    List<String> e = errors(withColumns.replace("type: boolean, jsonPath", "type: bool, jsonPath").replace("jsonPath: .spec.size",
        "jsonPath: spec.size"));
    assertEquals(List.of(
        "spec.versions[0].additionalPrinterColumns[0].jsonPath: Invalid value: \"spec.size\": must be a simple json"
            + " path starting with .",
        "spec.versions[0].additionalPrinterColumns[1].type: Unsupported value: \"bool\": supported values:"
            + " \"integer\", \"number\", \"string\", \"boolean\", \"date\""), e);
  }

  @Test
  void aDefaultMustBeValidAgainstItsSchema() {
    String good = CrdFixtures.text("widgets.yaml").replace("                enum: [small, large]\n",
        "                enum: [small, large]\n                default: small\n");
    assertEquals(List.of(), errors(good));
    List<String> e = errors(good.replace("default: small", "default: huge"));
    assertEquals(List.of("spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[size].default:"
        + " Unsupported value: \"huge\": supported values: \"small\", \"large\""), e);
  }

  @Test
  void aNonStructuralSchemaIsRefusedNamingTheField() {
    List<String> e = errors(CrdFixtures.text("widgets.yaml")
        .replace("              replicas:\n                type: integer\n                minimum: 0\n",
            "              replicas:\n                minimum: 0\n")
        .replace("              tags:\n                type: array\n                items:\n                  type: string\n",
            "              tags:\n                type: array\n"));
    assertEquals(List.of(
        "spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[replicas].type: Required value: must not"
            + " be empty for specified object fields",
        "spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[tags].items: Required value: must be"
            + " specified"), e);
  }

  @Test
  void webhookConversionIsRefusedForNow() {
    List<String> e = errors(CrdFixtures.text("widgets.yaml").replace("  versions:\n",
        "  conversion:\n    strategy: Webhook\n  versions:\n"));
    assertEquals(List.of("spec.conversion.strategy: Invalid value: \"Webhook\": webhook conversion is not supported"
        + " by Capstan yet; use None"), e);
  }

  @Test
  void customObjectsAreValidatedAgainstTheirSchemaWithPaths() {
    Kind kind = CustomResourceDefinitions.kindOf(CrdFixtures.widgets());
    IndexedRecord bad = KubeJson.<IndexedRecord>fromText(kind, """
        apiVersion: example.com/v1
        kind: Widget
        metadata: {name: w1, namespace: default}
        spec: {size: huge, replicas: -1}
        """).object();
    assertEquals(List.of(
            "spec.size: Unsupported value: \"huge\": supported values: \"small\", \"large\"",
            "spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0"),
        ObjectValidator.validate(kind, bad).stream().map(FieldError::toString).toList());
    IndexedRecord missing = KubeJson.<IndexedRecord>fromText(kind, """
        metadata: {name: w1, namespace: default}
        spec: {replicas: 1}
        """).object();
    assertEquals(List.of("spec.size: Required value"),
        ObjectValidator.validate(kind, missing).stream().map(FieldError::toString).toList());
  }

  @Test
  void typeErrorsReadAsKubernetesWritesThem() {
    Kind kind = CustomResourceDefinitions.kindOf(CrdFixtures.widgets());
    JsonNode json = KubeJson.parse("{\"spec\": {\"size\": \"small\", \"replicas\": \"three\", \"tags\": [1]}}");
    assertEquals(List.of(
            "spec.replicas: Invalid value: \"three\": spec.replicas in body must be of type integer: \"three\"",
            "spec.tags[0]: Invalid value: \"1\": spec.tags[0] in body must be of type string: \"1\""),
        CustomObjects.validate(kind.openApiSchema(), json).stream().map(FieldError::toString).toList());
  }
}
