package io.capstan.loadtests.report;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** How the tests read a bench's JSON line: a field's number, and the field names in order. */
public final class JsonFields {
  private static final Pattern NAME = Pattern.compile("[{,]\"([a-z0-9_]+)\":");

  private JsonFields() {}

  /** The number in {@code field}; fails, showing the line, when there is none. */
  public static double number(String json, String field) {
    Matcher m = Pattern.compile("[{,]\"" + Pattern.quote(field) + "\":(-?[0-9.E-]+)[,}]").matcher(json);
    assertTrue(m.find(), "a number in " + field + ": " + json);
    return Double.parseDouble(m.group(1));
  }

  /** The field names as they come. */
  public static List<String> names(String json) {
    List<String> names = new ArrayList<>();
    Matcher m = NAME.matcher(json);
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

  /** Fails unless {@code later} comes right after {@code earlier}. */
  public static void assertFollows(String json, String earlier, String later) {
    List<String> names = names(json);
    int i = names.indexOf(earlier);
    assertTrue(i >= 0 && i + 1 < names.size() && names.get(i + 1).equals(later),
        later + " right after " + earlier + ": " + json);
  }
}
