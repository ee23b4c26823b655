package io.capstan.logschema.resource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

class QuantityTest {

  @Test
  void parsesEveryNotation() {
    assertEquals(100, Quantity.parse("100m").milliValue());
    assertEquals(1L << 30, Quantity.parse("1Gi").value());
    assertEquals(1000, Quantity.parse("1e3").value());
    assertEquals(500, Quantity.parse("0.5").milliValue());
    assertEquals(500, Quantity.parse(".5").milliValue());
    assertEquals(1_000_000, Quantity.parse("1M").value());
    assertEquals(new BigDecimal("0.000000001"), Quantity.parse("1n").amount().stripTrailingZeros());
    assertEquals(-2000, Quantity.parse("-2").milliValue());
    assertEquals(Quantity.Format.BINARY_SI, Quantity.parse("128Mi").format());
    assertEquals(Quantity.Format.DECIMAL_EXPONENT, Quantity.parse("12E-3").format());
    assertEquals(12, Quantity.parse("12E-3").milliValue());
    assertEquals(Quantity.Format.DECIMAL_SI, Quantity.parse("3E").format()); // exa, not an exponent
  }

  @Test
  void rejectsWhatKubernetesRejects() {
    for (String bad : new String[] {"abc", "", "1.2.3", "1Gb", "Mi", "1 Gi", "--1", "1e", "1KiB", "0x10"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Quantity.parse(bad), bad);
      assertTrue(e.getMessage().startsWith("quantities must match the regular expression"));
      assertFalse(Quantity.isValid(bad));
    }
  }

  @Test
  void roundsUpLikeKubernetes() {
    assertEquals(2, Quantity.parse("1.0001m").milliValue());
    assertEquals(1, Quantity.parse("1m").value());
  }

  @Test
  void comparesByAmount() {
    assertEquals(Quantity.parse("1Gi"), Quantity.parse("1073741824"));
    assertEquals(Quantity.parse("1Gi").hashCode(), Quantity.parse("1073741824").hashCode());
    assertEquals(Quantity.parse("1"), Quantity.parse("1000m"));
    assertTrue(Quantity.parse("500m").compareTo(Quantity.parse("1")) < 0);
    assertTrue(Quantity.parse("1Ki").compareTo(Quantity.parse("1k")) > 0);
    assertEquals(Quantity.parse("1500m"), Quantity.parse("1").plus(Quantity.parse("500m")));
    assertEquals(Quantity.ofMillis(250), Quantity.parse("1").minus(Quantity.parse("750m")));
  }

  @Test
  void canonicalFormMatchesKubeApiserver() {
    assertEquals("500m", Quantity.parse("0.5").canonical());
    assertEquals("1k", Quantity.parse("1000").canonical());
    assertEquals("1500", Quantity.parse("1500").canonical());
    assertEquals("1500m", Quantity.parse("1.5").canonical());
    assertEquals("1Gi", Quantity.parse("1024Mi").canonical());
    assertEquals("1536Mi", Quantity.parse("1.5Gi").canonical());
    assertEquals("512", Quantity.parse("0.5Ki").canonical());
    assertEquals("1e3", Quantity.parse("1e3").canonical());
    assertEquals("0", Quantity.parse("0Gi").canonical());
    assertEquals("-100m", Quantity.parse("-0.1").canonical());
    assertEquals("1n", Quantity.parse("0.0000000001").canonical()); // rounded up to nano
  }
}
