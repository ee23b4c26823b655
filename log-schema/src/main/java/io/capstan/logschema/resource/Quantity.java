package io.capstan.logschema.resource;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Kubernetes resource quantity: an exact decimal amount and the notation it was written
 * in. Parses every form {@code resource.ParseQuantity} accepts: plain numbers ({@code 0.5}),
 * decimal SI suffixes ({@code n u m k M G T P E}), binary SI suffixes ({@code Ki Mi Gi Ti Pi
 * Ei}) and decimal exponents ({@code 1e3}). Equality and order compare amounts only, as
 * {@code Quantity.Cmp} does, so {@code 1Gi} equals {@code 1073741824}.
 *
 * @param amount the exact value in base units (cores, bytes, ...)
 * @param format the notation, kept so {@link #canonical()} answers in the same style
 */
public record Quantity(BigDecimal amount, Format format) implements Comparable<Quantity> {

  /** How a quantity is written; the canonical form keeps the notation the user chose. */
  public enum Format { DECIMAL_SI, BINARY_SI, DECIMAL_EXPONENT }

  /** Kubernetes' own wording, so API errors read the same as kube-apiserver's. */
  public static final String SYNTAX_MESSAGE =
      "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

  public static final Quantity ZERO = new Quantity(BigDecimal.ZERO, Format.DECIMAL_SI);

  private static final Pattern SYNTAX = Pattern.compile("([+-]?)([0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(.*)");
  private static final Pattern EXPONENT = Pattern.compile("[eE]([+-]?[0-9]{1,4})");
  private static final BigDecimal BINARY_BASE = BigDecimal.valueOf(1024);
  private static final BigDecimal THOUSAND = BigDecimal.valueOf(1000);
  private static final String[] BINARY_SUFFIXES = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
  /** Decimal SI suffixes by exponent / 3 + 3 (n = 10^-9 ... E = 10^18). */
  private static final String[] DECIMAL_SUFFIXES = {"n", "u", "m", "", "k", "M", "G", "T", "P", "E"};

  public Quantity {
    if (amount == null || format == null) {
      throw new IllegalArgumentException("a quantity needs an amount and a format");
    }
  }

  /** Parses a quantity, or throws {@link IllegalArgumentException} with Kubernetes' message. */
  public static Quantity parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException(SYNTAX_MESSAGE);
    }
    Matcher m = SYNTAX.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException(SYNTAX_MESSAGE);
    }
    String number = m.group(2);
    if (number.startsWith(".")) {
      number = "0" + number;
    }
    if (number.endsWith(".")) {
      number = number.substring(0, number.length() - 1);
    }
    BigDecimal value = new BigDecimal(number);
    if (m.group(1).equals("-")) {
      value = value.negate();
    }
    String suffix = m.group(3);
    int binaryPower = indexOf(BINARY_SUFFIXES, suffix);
    if (binaryPower > 0) {
      return new Quantity(value.multiply(BINARY_BASE.pow(binaryPower)), Format.BINARY_SI);
    }
    int decimalIndex = indexOf(DECIMAL_SUFFIXES, suffix);
    if (decimalIndex >= 0) {
      return new Quantity(value.scaleByPowerOfTen((decimalIndex - 3) * 3), Format.DECIMAL_SI);
    }
    Matcher e = EXPONENT.matcher(suffix);
    if (e.matches()) {
      return new Quantity(value.scaleByPowerOfTen(Integer.parseInt(e.group(1))), Format.DECIMAL_EXPONENT);
    }
    throw new IllegalArgumentException(SYNTAX_MESSAGE);
  }

  /** Whether {@link #parse} accepts the text. */
  public static boolean isValid(String text) {
    try {
      parse(text);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** A whole number of base units (e.g. bytes), in decimal SI notation. */
  public static Quantity of(long value) {
    return new Quantity(BigDecimal.valueOf(value), Format.DECIMAL_SI);
  }

  /** Thousandths of a base unit (e.g. millicores). */
  public static Quantity ofMillis(long millis) {
    return new Quantity(BigDecimal.valueOf(millis, 3), Format.DECIMAL_SI);
  }

  /** The amount in thousandths, rounded up (as {@code Quantity.MilliValue}): 1 core is 1000, 1.0001m is 2. */
  public long milliValue() {
    return amount.movePointRight(3).setScale(0, RoundingMode.CEILING).longValueExact();
  }

  /** The amount in base units, rounded up (as {@code Quantity.Value}): bytes of memory, whole cores. */
  public long value() {
    return amount.setScale(0, RoundingMode.CEILING).longValueExact();
  }

  public int signum() {
    return amount.signum();
  }

  public Quantity plus(Quantity other) {
    return new Quantity(amount.add(other.amount), format);
  }

  public Quantity minus(Quantity other) {
    return new Quantity(amount.subtract(other.amount), format);
  }

  @Override
  public int compareTo(Quantity other) {
    return amount.compareTo(other.amount);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Quantity q && amount.compareTo(q.amount) == 0;
  }

  @Override
  public int hashCode() {
    return amount.signum() == 0 ? 0 : amount.stripTrailingZeros().hashCode();
  }

  /**
   * The form kube-apiserver would print: binary quantities as the largest whole binary
   * unit ({@code 1.5Gi} is {@code 1536Mi}), decimal ones as the largest whole SI unit
   * ({@code 0.5} is {@code 500m}, {@code 1000} is {@code 1k}), precision rounded up to
   * nano units. Small or fractional binary quantities fall back to decimal SI, as Kubernetes does.
   */
  public String canonical() {
    if (amount.signum() == 0) {
      return "0";
    }
    String sign = amount.signum() < 0 ? "-" : "";
    BigDecimal abs = amount.abs();
    if (format == Format.BINARY_SI && abs.compareTo(BINARY_BASE) >= 0 && isWhole(abs)) {
      BigInteger whole = abs.toBigIntegerExact();
      int power = 0;
      BigInteger base = BigInteger.valueOf(1024);
      while (power < BINARY_SUFFIXES.length - 1 && whole.mod(base).signum() == 0) {
        whole = whole.divide(base);
        power++;
      }
      return sign + whole + BINARY_SUFFIXES[power];
    }
    BigDecimal rounded = abs.setScale(9, RoundingMode.CEILING);
    int exponent = -9;
    BigDecimal mantissa = rounded.movePointRight(9);
    while (exponent < 18 && isWhole(mantissa.divide(THOUSAND))) {
      mantissa = mantissa.divide(THOUSAND);
      exponent += 3;
    }
    String digits = mantissa.setScale(0, RoundingMode.UNNECESSARY).toPlainString();
    if (format == Format.DECIMAL_EXPONENT) {
      return sign + digits + (exponent == 0 ? "" : "e" + exponent);
    }
    return sign + digits + DECIMAL_SUFFIXES[exponent / 3 + 3];
  }

  @Override
  public String toString() {
    return canonical();
  }

  private static boolean isWhole(BigDecimal d) {
    return d.signum() == 0 || d.stripTrailingZeros().scale() <= 0;
  }

  private static int indexOf(String[] values, String value) {
    for (int i = 0; i < values.length; i++) {
      if (values[i].equals(value)) {
        return i;
      }
    }
    return -1;
  }
}
