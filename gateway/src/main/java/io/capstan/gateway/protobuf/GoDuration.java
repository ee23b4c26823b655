package io.capstan.gateway.protobuf;

/** Nanoseconds as Go's {@code time.Duration.String()} writes them (metav1.Duration's JSON): 1h2m3.5s, 1.5ms, 0s. */
final class GoDuration {
  private GoDuration() { }

  static String format(long nanos) {
    if (nanos == 0) {
      return "0s";
    }
    String sign = nanos < 0 ? "-" : "";
    java.math.BigInteger abs = java.math.BigInteger.valueOf(nanos).abs();
    long n = abs.bitLength() < 64 ? abs.longValue() : Long.MAX_VALUE;
    if (n < 1_000) {
      return sign + n + "ns";
    }
    if (n < 1_000_000) {
      return sign + fraction(n, 1_000) + "µs";
    }
    if (n < 1_000_000_000) {
      return sign + fraction(n, 1_000_000) + "ms";
    }
    long hours = n / 3_600_000_000_000L;
    long minutes = n / 60_000_000_000L % 60;
    long rest = n % 60_000_000_000L;
    StringBuilder out = new StringBuilder(sign);
    if (hours > 0) {
      out.append(hours).append('h');
    }
    if (hours > 0 || minutes > 0) {
      out.append(minutes).append('m');
    }
    return out.append(fraction(rest, 1_000_000_000)).append('s').toString();
  }

  /** value / unit with the fraction's trailing zeros removed, as Go prints it. */
  private static String fraction(long value, long unit) {
    long whole = value / unit;
    long frac = value % unit;
    if (frac == 0) {
      return Long.toString(whole);
    }
    String digits = String.format("%0" + Long.toString(unit).length() + "d", frac).substring(1);
    return whole + "." + digits.replaceAll("0+$", "");
  }
}
