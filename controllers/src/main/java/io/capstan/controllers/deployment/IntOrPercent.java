package io.capstan.controllers.deployment;

/**
 * intstr.GetScaledValueFromIntOrPercent: an int-or-string field ({@code 3} or {@code "25%"})
 * as a count out of {@code total}, a percentage rounded up or down as the caller says.
 */
public final class IntOrPercent {
  private IntOrPercent() {}

  /**
   * @param value an Integer, a "N%" string, or null for {@code defaultValue}
   * @throws IllegalArgumentException for a string that is not a percentage
   */
  public static int scaled(Object value, Object defaultValue, int total, boolean roundUp) {
    Object v = value == null ? defaultValue : value;
    if (v instanceof Integer i) {
      return i;
    }
    String s = v.toString();
    if (s.matches("[0-9]+")) {
      return Integer.parseInt(s); // a number sent as a string, as intstr.Parse accepts
    }
    if (!s.matches("[0-9]+%")) {
      throw new IllegalArgumentException("invalid value for IntOrString: invalid type: string is not a percentage: \""
          + s + "\"");
    }
    long percent = Long.parseLong(s.substring(0, s.length() - 1));
    long scaledTimes100 = percent * total;
    return (int) (roundUp ? (scaledTimes100 + 99) / 100 : scaledTimes100 / 100);
  }
}
