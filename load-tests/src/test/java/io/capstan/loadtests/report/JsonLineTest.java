package io.capstan.loadtests.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class JsonLineTest {
  @Test
  void fieldsKeepTheirOrderNumbersAreRoundedStringsEscaped() {
    String line = new JsonLine("x").put("n", 10).put("rate", 1234.5678).put("nan", Double.NaN)
        .put("ok", true).put("why", "a \"b\"\n").toString();
    assertEquals("{\"bench\":\"x\",\"n\":10,\"rate\":1234.57,\"nan\":null,\"ok\":true,\"why\":\"a \\\"b\\\"\\n\"}", line);
  }
}
