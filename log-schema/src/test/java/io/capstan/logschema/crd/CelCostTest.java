package io.capstan.logschema.crd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.common.types.SimpleType;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.validation.FieldError;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The static cost estimate of CEL rules and its budgets, at the definition and at run time. */
class CelCostTest {
  private static final String AT = "spec.versions[0].schema.openAPIV3Schema";
  private static final CelCompiler COMPILER = CelCompilerFactory.standardCelCompilerBuilder()
      .setStandardMacros(dev.cel.parser.CelStandardMacro.STANDARD_MACROS)
      .addVar("self", SimpleType.DYN).addVar("oldSelf", SimpleType.DYN).build();

  private static long estimate(String rule, String schema) throws Exception {
    return CelCost.estimate(COMPILER.compile(rule).getAst().getExpr(), KubeJson.parse(schema));
  }

  private static List<String> definitionErrors(String schema) {
    List<FieldError> errors = new ArrayList<>();
    CelRules.checkCompiles(KubeJson.parse(schema), AT, errors);
    return errors.stream().map(FieldError::toString).toList();
  }

  /** A list of names (each at most 64 characters) at spec.names, with a rule over all of them. */
  private static String namesSchema(String maxItems, String rule) {
    return """
        {"type": "object", "properties": {"spec": {"type": "object", "properties": {
          "names": {"type": "array", %s "items": {"type": "string", "maxLength": 64},
            "x-kubernetes-validations": [{"rule": "%s"}]}}}}}
        """.formatted(maxItems, rule);
  }

  @Test
  void sizesComeFromTheSchemaOrFromWhatFitsIntoARequest() {
    assertEquals(40, CelCost.maxSize(KubeJson.parse("{\"type\": \"string\", \"maxLength\": 10}")), "4 bytes a character");
    assertEquals(6, CelCost.maxSize(KubeJson.parse("{\"type\": \"string\", \"enum\": [\"small\", \"medium\"]}")));
    assertEquals(32, CelCost.maxSize(KubeJson.parse("{\"type\": \"string\", \"format\": \"date-time\"}")));
    assertEquals(3 * 1024 * 1024 - 2, CelCost.maxSize(KubeJson.parse("{\"type\": \"string\"}")));
    assertEquals(7, CelCost.maxSize(KubeJson.parse("{\"type\": \"array\", \"maxItems\": 7, \"items\": {\"type\": \"string\"}}")));
    assertEquals((3 * 1024 * 1024 - 2) / 3,
        CelCost.maxSize(KubeJson.parse("{\"type\": \"array\", \"items\": {\"type\": \"string\"}}")), "\"\" and a comma");
    assertEquals((3 * 1024 * 1024 - 2) / 7, CelCost.maxSize(KubeJson.parse(
        "{\"type\": \"object\", \"additionalProperties\": {\"type\": \"integer\"}}")), "\"\":0, per member");
  }

  @Test
  void costsOfReadsCallsAndComprehensions() throws Exception {
    String text = "{\"type\": \"string\", \"maxLength\": 10}";
    assertEquals(2, estimate("self.startsWith('ab')", text), "read 1 + call 1");
    assertEquals(3, estimate("self.size() <= 5", text), "read, size(), comparison");
    // an index by name reads the property's schema: its maxLength bounds the traversal
    String named = "{\"type\": \"object\", \"properties\": {\"a-b\": {\"type\": \"string\", \"maxLength\": 25}}}";
    // (read 1, index 1; contains: a tenth of 100 bytes times a tenth of 1, rounded up)
    assertEquals(2 + 10, estimate("self['a-b'].contains('x')", named));
    // matches: a tenth of the subject (40 bytes) times a quarter of the pattern (8 bytes), plus the read
    assertEquals(1 + 4 * 2, estimate("self.matches('^[a-z]+$')", text));
    // all(): the range read and the result, plus per element (100) the loop condition (2) and step (3)
    String list = "{\"type\": \"array\", \"maxItems\": 100, \"items\": " + text + "}";
    assertEquals(2 + 100 * 5, estimate("self.all(x, x.startsWith('a'))", list));
    // nested: the inner loop is paid once per element of the outer one
    long inner = 2 + 100 * (2 + 3);
    assertEquals(2 + 100 * (2 + 1 + inner), estimate("self.all(x, self.all(y, y.startsWith('a')))", list),
        "outer loop: condition 2, step: result read 1 + the inner comprehension");
  }

  @Test
  void aRuleJustUnderTheBudgetIsAcceptedAndJustOverItIsRefused() throws Exception {
    String rule = "self.all(x, x.matches('^[a-z]+$'))";
    // per name: condition 2, step: && over the result (1) and matches (read 1 + 26 * 2) = 56; plus 2
    assertEquals(2 + 56 * 10, estimate(rule, "{\"type\": \"array\", \"maxItems\": 10, \"items\": "
        + "{\"type\": \"string\", \"maxLength\": 64}}"));
    long under = (CelCost.RULE_LIMIT - 2) / 56;
    assertEquals(List.of(), definitionErrors(namesSchema("\"maxItems\": " + under + ",", rule)));
    List<String> over = definitionErrors(namesSchema("\"maxItems\": " + (under + 1) + ",", rule));
    assertEquals(List.of(AT + ".properties[spec].properties[names].x-kubernetes-validations[0].rule: Forbidden: "
        + "estimated rule cost exceeds budget by factor of 1.000003x (try simplifying the rule, or adding maxItems, "
        + "maxProperties, and maxLength where arrays, maps, and strings are declared)"), over);
  }

  @Test
  void anUnboundedQuadraticRuleIsRefusedAndSoIsItsShareOfTheSchemasTotal() {
    List<String> errors = definitionErrors(namesSchema("", "self.all(x, self.all(y, x == y))"));
    String rule = AT + ".properties[spec].properties[names].x-kubernetes-validations[0].rule: Forbidden: ";
    assertEquals(List.of(
        rule + "estimated rule cost exceeds budget by factor of more than 100x (try simplifying the rule, or adding "
            + "maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)",
        rule + "contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema",
        AT + ": Forbidden: x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema exceeds "
            + "budget by factor of more than 100x (try simplifying the rule, or adding maxItems, maxProperties, "
            + "and maxLength where arrays, maps, and strings are declared)"), errors);
    assertEquals(List.of(), definitionErrors(namesSchema("\"maxItems\": 20,", "self.all(x, self.all(y, x == y))")));
  }

  @Test
  void aRuleInsideListItemsCostsOncePerItemThatMayExist() {
    String item = """
        {"type": "object", "properties": {"spec": {"type": "object", "properties": {
          "names": {"type": "array", %s "items": {"type": "string", "maxLength": 4096,
            "x-kubernetes-validations": [{"rule": "self.matches('^[a-z]+$')"}]}}}}}}
        """;
    // one match: 1 + ceil(1638.4) * 2 = 3279; bounded by maxItems 3000 it is 9.8M, by 3100 10.2M
    assertEquals(List.of(), definitionErrors(item.formatted("\"maxItems\": 3000,")));
    List<String> over = definitionErrors(item.formatted("\"maxItems\": 3100,"));
    assertEquals(1, over.size(), over.toString());
    assertTrue(over.get(0).startsWith(AT + ".properties[spec].properties[names].items.x-kubernetes-validations[0].rule:"
        + " Forbidden: estimated rule cost exceeds budget by factor of 1.016"), over.get(0));
    // unbounded: as many strings as fit into a request (3 MiB / 3 bytes)
    assertTrue(definitionErrors(item.formatted("")).get(0).contains("factor of more than 100x"));
  }

  @Test
  void rulesThatTogetherExceedTheSchemasBudgetNameTheFourMostExpensive() {
    StringBuilder props = new StringBuilder();
    for (int i = 0; i < 11; i++) {
      props.append(i == 0 ? "" : ",").append("""
          "n%d": {"type": "array", "maxItems": %d, "items": {"type": "string", "maxLength": 64},
            "x-kubernetes-validations": [{"rule": "self.all(x, x.matches('^[a-z]+$'))"}]}
          """.formatted(i, 170_000 + i));
    }
    List<String> errors = definitionErrors("{\"type\": \"object\", \"properties\": {\"spec\": {\"type\": \"object\", "
        + "\"properties\": {" + props + "}}}}");
    assertEquals(5, errors.size(), errors.toString());
    for (int i = 0; i < 4; i++) {
      assertEquals(AT + ".properties[spec].properties[n" + (10 - i) + "].x-kubernetes-validations[0].rule: Forbidden: "
          + "contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema", errors.get(i));
    }
    assertTrue(errors.get(4).startsWith(AT + ": Forbidden: x-kubernetes-validations estimated rule cost total for "
        + "entire OpenAPIv3 schema exceeds budget by factor of 1.04"), errors.get(4));
  }

  @Test
  void anExpensiveMessageExpressionIsRefusedToo() {
    List<String> errors = definitionErrors("""
        {"type": "object", "properties": {"spec": {"type": "object", "properties": {
          "names": {"type": "array", "maxItems": 10, "items": {"type": "string"},
            "x-kubernetes-validations": [{"rule": "size(self) < 5",
              "messageExpression": "string(self.filter(x, self.exists(y, x.contains(y))).size()) + ' names'"}]}}}}}
        """);
    assertEquals(3, errors.size(), errors.toString()); // and its share of the total, and the total
    assertTrue(errors.get(0).startsWith(AT + ".properties[spec].properties[names].x-kubernetes-validations[0]"
        + ".messageExpression: Forbidden: estimated messageExpression cost exceeds budget"), errors.get(0));
  }
}
