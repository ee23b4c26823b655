package io.capstan.gateway.selection;

import io.capstan.logschema.validation.Names;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A parsed {@code labelSelector}: requirements ANDed together, with the operators of
 * k8s.io/apimachinery labels: {@code k=v}, {@code k==v}, {@code k!=v}, {@code k in (a,b)},
 * {@code k notin (a,b)}, {@code k} (exists) and {@code !k} (does not exist). {@code !=} and
 * {@code notin} also match objects without the label, as in Kubernetes.
 */
public record LabelSelector(List<Requirement> requirements) {
  public static final LabelSelector EVERYTHING = new LabelSelector(List.of());

  public enum Operator { EQUALS, NOT_EQUALS, IN, NOT_IN, EXISTS, DOES_NOT_EXIST }

  public record Requirement(String key, Operator operator, Set<String> values) {
    public Requirement {
      values = Set.copyOf(values);
    }

    boolean matches(Map<String, String> labels) {
      String v = labels.get(key);
      return switch (operator) {
        case EQUALS, IN -> v != null && values.contains(v);
        case NOT_EQUALS, NOT_IN -> v == null || !values.contains(v);
        case EXISTS -> v != null;
        case DOES_NOT_EXIST -> v == null;
      };
    }
  }

  public LabelSelector {
    requirements = List.copyOf(requirements);
  }

  public boolean matches(Map<String, String> labels) {
    Map<String, String> l = labels == null ? Map.of() : labels;
    return requirements.stream().allMatch(r -> r.matches(l));
  }

  public boolean isEverything() {
    return requirements.isEmpty();
  }

  /** Parses a selector; {@link SelectorException} names the position and what is wrong. */
  public static LabelSelector parse(String text) {
    if (text == null || text.isBlank()) {
      return EVERYTHING;
    }
    return new Parser(text).parse();
  }

  private static final class Parser {
    private final String s;
    private int pos;

    Parser(String s) {
      this.s = s;
    }

    LabelSelector parse() {
      List<Requirement> out = new ArrayList<>();
      while (true) {
        skipSpaces();
        out.add(requirement());
        skipSpaces();
        if (pos == s.length()) {
          return new LabelSelector(out);
        }
        expect(',');
      }
    }

    private Requirement requirement() {
      if (peek() == '!') {
        pos++;
        skipSpaces();
        return new Requirement(key(), Operator.DOES_NOT_EXIST, Set.of());
      }
      String key = key();
      skipSpaces();
      if (pos == s.length() || peek() == ',') {
        return new Requirement(key, Operator.EXISTS, Set.of());
      }
      if (s.startsWith("==", pos)) {
        pos += 2;
        return new Requirement(key, Operator.EQUALS, Set.of(value()));
      }
      if (s.startsWith("!=", pos)) {
        pos += 2;
        return new Requirement(key, Operator.NOT_EQUALS, Set.of(value()));
      }
      if (peek() == '=') {
        pos++;
        return new Requirement(key, Operator.EQUALS, Set.of(value()));
      }
      String word = word();
      return switch (word) {
        case "in" -> new Requirement(key, Operator.IN, valueSet());
        case "notin" -> new Requirement(key, Operator.NOT_IN, valueSet());
        default -> throw error("expected one of =, ==, !=, in, notin after key \"" + key + "\""
            + (word.isEmpty() ? "" : ", found \"" + word + "\""));
      };
    }

    private String key() {
      int start = pos;
      while (pos < s.length() && isKeyChar(s.charAt(pos))) {
        pos++;
      }
      String key = s.substring(start, pos);
      if (key.isEmpty()) {
        throw error("expected a label key");
      }
      List<String> problems = Names.qualifiedName(key);
      if (!problems.isEmpty()) {
        throw new SelectorException("invalid label key \"" + key + "\": " + String.join("; ", problems));
      }
      return key;
    }

    private String value() {
      skipSpaces();
      int start = pos;
      while (pos < s.length() && isKeyChar(s.charAt(pos)) && s.charAt(pos) != '/') {
        pos++;
      }
      String value = s.substring(start, pos);
      List<String> problems = Names.labelValue(value);
      if (!problems.isEmpty()) {
        throw new SelectorException("invalid label value \"" + value + "\": " + String.join("; ", problems));
      }
      return value;
    }

    private Set<String> valueSet() {
      skipSpaces();
      expect('(');
      Set<String> values = new TreeSet<>();
      while (true) {
        values.add(value());
        skipSpaces();
        if (peek() == ')') {
          pos++;
          return values;
        }
        expect(',');
      }
    }

    private String word() {
      int start = pos;
      while (pos < s.length() && Character.isLetter(s.charAt(pos))) {
        pos++;
      }
      return s.substring(start, pos);
    }

    private static boolean isKeyChar(char c) {
      return Character.isLetterOrDigit(c) || c == '-' || c == '_' || c == '.' || c == '/';
    }

    private char peek() {
      return pos < s.length() ? s.charAt(pos) : '\0';
    }

    private void expect(char c) {
      if (peek() != c) {
        throw error("expected '" + c + "'");
      }
      pos++;
    }

    private void skipSpaces() {
      while (pos < s.length() && s.charAt(pos) == ' ') {
        pos++;
      }
    }

    private SelectorException error(String what) {
      return new SelectorException("unable to parse requirement: " + what + " at position " + pos + " in \"" + s + "\"");
    }
  }
}
