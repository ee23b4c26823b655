package io.capstan.logschema.crd;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cel.common.ast.CelConstant;
import dev.cel.common.ast.CelExpr;
import java.util.HashMap;
import java.util.Map;

/**
 * The static cost estimate of a CEL rule, as kube-apiserver makes it before it accepts a
 * CustomResourceDefinition (dev.cel 0.14 has no estimator of its own). The estimate walks the
 * compiled AST: every variable or field read costs 1, a call 1 plus what its size-dependent work
 * costs (string traversal a tenth of a unit per byte, regular expressions a quarter per byte of
 * subject times pattern, {@code in} over a list one per element), list and map literals 10 and
 * 30, and a comprehension its loop body times the largest size of its range. Sizes come from the
 * schema: {@code maxLength} (four bytes per character), the longest {@code enum} value, the size
 * of a date or date-time, {@code maxItems}, {@code maxProperties}; where a size is unbounded it is
 * what fits into one request of {@value #MAX_REQUEST_BYTES} bytes given the smallest JSON of one
 * element, as Kubernetes estimates it.
 *
 * <p>The rule's cost is then multiplied by how many times its node may occur in one object (the
 * product of {@code maxItems}/{@code maxProperties} of the lists and maps above it, or, when one
 * of them is unbounded, what fits into a request). Limits, figures and messages are Kubernetes':
 * {@value #RULE_LIMIT} per rule, {@value #SCHEMA_LIMIT} for all rules of one schema,
 * {@value #CALL_LIMIT} per evaluation, {@value #REQUEST_BUDGET} for all evaluations of one write.
 */
final class CelCost {
  /** Kubernetes' StaticEstimatedCostLimit: the estimated cost one rule may have. */
  static final long RULE_LIMIT = 10_000_000L;
  /** Kubernetes' StaticEstimatedCRDCostLimit: the estimated cost of all rules of one schema. */
  static final long SCHEMA_LIMIT = 100_000_000L;
  /** Kubernetes' PerCallLimit: the cost one evaluation of a rule may spend at run time. */
  static final long CALL_LIMIT = 1_000_000L;
  /** Kubernetes' RuntimeCELCostBudget: the cost all rules may spend on one write. */
  static final long REQUEST_BUDGET = 10_000_000L;
  /** The largest request kube-apiserver reads (3 MiB), the bound of unbounded sizes. */
  static final long MAX_REQUEST_BYTES = 3L * 1024 * 1024;
  private static final double TRAVERSAL = 0.1;
  private static final double REGEX = 0.25;

  private CelCost() {}

  /** What is known of a value: its schema (null if unknown), its largest size and its elements. */
  record Shape(JsonNode schema, long size) {
    static final Shape UNKNOWN = new Shape(null, MAX_REQUEST_BYTES);

    Shape element() {
      if (schema == null) {
        return UNKNOWN;
      }
      JsonNode items = schema.get("items");
      if (items != null && items.isObject()) {
        return of(items);
      }
      JsonNode additional = schema.get("additionalProperties");
      if (additional != null && additional.isObject()) {
        return of(additional);
      }
      return UNKNOWN;
    }

    /** The element a comprehension's variable takes: an item of a list, a key of a map. */
    Shape iterated() {
      if (schema != null && "object".equals(schema.path("type").asText())) {
        return new Shape(null, MAX_REQUEST_BYTES - 2); // a key: a string of unknown length
      }
      return element();
    }

    Shape member(String name) {
      if (schema == null) {
        return UNKNOWN;
      }
      JsonNode p = schema.path("properties").get(name);
      if (p != null && p.isObject()) {
        return of(p);
      }
      JsonNode additional = schema.get("additionalProperties");
      return additional != null && additional.isObject() ? of(additional) : UNKNOWN;
    }

    static Shape of(JsonNode s) {
      return new Shape(s, maxSize(s));
    }
  }

  /** The largest size (bytes of a string, items of a list, members of a map) a value of the schema may have. */
  static long maxSize(JsonNode s) {
    if (s == null || !s.isObject()) {
      return MAX_REQUEST_BYTES;
    }
    if (s.path("x-kubernetes-int-or-string").asBoolean()) {
      return MAX_REQUEST_BYTES - 2;
    }
    switch (s.path("type").asText()) {
      case "string":
        if (s.has("maxLength")) {
          return Math.max(0, s.get("maxLength").asLong()) * 4; // characters may take four bytes
        }
        if (s.path("enum").isArray() && s.get("enum").size() > 0) {
          long longest = 0;
          for (JsonNode e : s.get("enum")) {
            longest = Math.max(longest, e.asText().length());
          }
          return longest;
        }
        return switch (s.path("format").asText()) {
          case "date" -> 12;
          case "date-time", "duration" -> 32;
          default -> MAX_REQUEST_BYTES - 2;
        };
      case "array":
        return s.has("maxItems") ? Math.max(0, s.get("maxItems").asLong())
            : (MAX_REQUEST_BYTES - 2) / (minSize(s.get("items")) + 1);
      case "object":
        if (s.has("maxProperties")) {
          return Math.max(0, s.get("maxProperties").asLong());
        }
        JsonNode additional = s.get("additionalProperties");
        if (additional != null && additional.isObject()) {
          return (MAX_REQUEST_BYTES - 2) / (minSize(additional) + 6);
        }
        JsonNode properties = s.get("properties");
        return properties != null && properties.isObject() ? properties.size() : MAX_REQUEST_BYTES;
      default:
        return 1;
    }
  }

  /** The smallest JSON text of a value of the schema. */
  static long minSize(JsonNode s) {
    if (s == null || !s.isObject() || s.path("x-kubernetes-int-or-string").asBoolean()) {
      return 1;
    }
    return switch (s.path("type").asText()) {
      case "string" -> switch (s.path("format").asText()) {
        case "date" -> 12;
        case "duration" -> 3;
        default -> 2;
      };
      case "boolean" -> 4;
      case "object", "array" -> 2;
      default -> 1;
    };
  }

  /**
   * How many times a node may occur in one object: the product of the bounds of the lists and
   * maps above it ({@code parentBound} is that product, or -1 when one of them is unbounded, and
   * then what fits into a request is taken, from the node's smallest JSON text).
   */
  static long cardinality(long parentBound, JsonNode node) {
    return parentBound >= 0 ? parentBound : MAX_REQUEST_BYTES / (minSize(node) + 1);
  }

  /** The bound its list or map puts on its elements' cardinality, or -1 when unbounded. */
  static long childBound(long parentBound, JsonNode listOrMap) {
    if (parentBound < 0) {
      return -1;
    }
    String bound = "array".equals(listOrMap.path("type").asText()) ? "maxItems" : "maxProperties";
    return listOrMap.has(bound) ? times(parentBound, Math.max(0, listOrMap.get(bound).asLong())) : -1;
  }

  /** The estimated largest cost of one evaluation of an expression at a node of the schema. */
  static long estimate(CelExpr expr, JsonNode node) {
    Map<String, Shape> scope = new HashMap<>();
    scope.put("self", Shape.of(node));
    scope.put("oldSelf", Shape.of(node));
    return new Walk(scope).cost(expr).cost;
  }

  /** Kubernetes' wording of a budget exceeded. */
  static String exceeded(String what, long cost, long limit) {
    double factor = (double) cost / (double) limit;
    String shown = factor > 100.0 ? "more than 100x"
        : factor < 1.5 ? String.format(java.util.Locale.ROOT, "%fx", factor)
        : String.format(java.util.Locale.ROOT, "%.1fx", factor);
    return what + " exceeds budget by factor of " + shown + " (try simplifying the rule, or adding maxItems, "
        + "maxProperties, and maxLength where arrays, maps, and strings are declared)";
  }

  static long plus(long a, long b) {
    long r = a + b;
    return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
  }

  static long times(long a, long b) {
    if (a == 0 || b == 0) {
      return 0;
    }
    return a > Long.MAX_VALUE / b ? Long.MAX_VALUE : a * b;
  }

  private static long factor(long size, double factor) {
    return (long) Math.ceil(size * factor);
  }

  private record Est(long cost, Shape shape) {}

  private static final class Walk {
    private final Map<String, Shape> scope;

    Walk(Map<String, Shape> scope) {
      this.scope = scope;
    }

    Est cost(CelExpr e) {
      switch (e.getKind()) {
        case CONSTANT: {
          CelConstant c = e.constant();
          long size = switch (c.getKind()) {
            case STRING_VALUE -> c.stringValue().length();
            case BYTES_VALUE -> c.bytesValue().size();
            default -> 1;
          };
          return new Est(0, new Shape(null, size));
        }
        case IDENT:
          return new Est(1, scope.getOrDefault(e.ident().name(), Shape.UNKNOWN));
        case SELECT: {
          Est operand = cost(e.select().operand());
          Shape shape = e.select().testOnly() ? new Shape(null, 1) : operand.shape.member(e.select().field());
          return new Est(plus(operand.cost, 1), shape);
        }
        case LIST: {
          long sum = 10;
          for (CelExpr x : e.list().elements()) {
            sum = plus(sum, cost(x).cost);
          }
          return new Est(sum, new Shape(null, e.list().elements().size()));
        }
        case MAP: {
          long sum = 30;
          for (CelExpr.CelMap.Entry x : e.map().entries()) {
            sum = plus(sum, plus(cost(x.key()).cost, cost(x.value()).cost));
          }
          return new Est(sum, new Shape(null, e.map().entries().size()));
        }
        case STRUCT: {
          long sum = 40;
          for (CelExpr.CelStruct.Entry x : e.struct().entries()) {
            sum = plus(sum, cost(x.value()).cost);
          }
          return new Est(sum, Shape.UNKNOWN);
        }
        case COMPREHENSION:
          return comprehension(e.comprehension());
        case CALL:
          return call(e.call());
        default:
          return new Est(0, Shape.UNKNOWN);
      }
    }

    private Est comprehension(CelExpr.CelComprehension c) {
      Est range = cost(c.iterRange());
      Est init = cost(c.accuInit());
      Shape accuShape = init.shape.schema == null && c.accuInit().getKind() == CelExpr.ExprKind.Kind.LIST
          ? new Shape(null, range.shape.size) : init.shape; // map() and filter() gather at most one item per element
      Shape savedIter = scope.put(c.iterVar(), range.shape.iterated());
      Shape savedAccu = scope.put(c.accuVar(), accuShape);
      long loop = plus(cost(c.loopCondition()).cost, cost(c.loopStep()).cost);
      Est result = cost(c.result());
      restore(c.iterVar(), savedIter);
      restore(c.accuVar(), savedAccu);
      long total = plus(plus(range.cost, init.cost), plus(times(loop, range.shape.size), result.cost));
      return new Est(total, result.shape);
    }

    private void restore(String name, Shape saved) {
      if (saved == null) {
        scope.remove(name);
      } else {
        scope.put(name, saved);
      }
    }

    private Est call(CelExpr.CelCall call) {
      Est target = call.target().isPresent() ? cost(call.target().get()) : null;
      Est[] args = new Est[call.args().size()];
      long sum = target == null ? 0 : target.cost;
      for (int i = 0; i < args.length; i++) {
        args[i] = cost(call.args().get(i));
        sum = plus(sum, args[i].cost);
      }
      Shape first = target != null ? target.shape : args.length > 0 ? args[0].shape : Shape.UNKNOWN;
      switch (call.function()) {
        case "_&&_", "_||_":
          return new Est(sum, new Shape(null, 1));
        case "_?_:_":
          return new Est(plus(args[0].cost, Math.max(args[1].cost, args[2].cost)),
              args[1].shape.size >= args[2].shape.size ? args[1].shape : args[2].shape);
        case "_==_", "_!=_", "_<_", "_<=_", "_>_", "_>=_": {
          long smaller = Math.min(args[0].shape.size, args[1].shape.size);
          boolean sized = isSized(args[0].shape) || isSized(args[1].shape);
          return new Est(plus(sum, sized ? Math.max(1, factor(smaller, TRAVERSAL)) : 1), new Shape(null, 1));
        }
        case "_+_": {
          long size = plus(args[0].shape.size, args[1].shape.size);
          boolean text = isString(args[0].shape) || isString(args[1].shape) || isStringConstant(call);
          return new Est(plus(sum, text ? Math.max(1, factor(size, TRAVERSAL)) : 1), new Shape(null, size));
        }
        case "@in": {
          JsonNode s = args[1].shape.schema;
          boolean map = s != null && "object".equals(s.path("type").asText());
          return new Est(plus(sum, map ? 1 : Math.max(1, args[1].shape.size)), new Shape(null, 1));
        }
        case "_[_]": {
          CelExpr key = call.args().get(1);
          boolean named = key.getKind() == CelExpr.ExprKind.Kind.CONSTANT
              && key.constant().getKind() == CelConstant.Kind.STRING_VALUE;
          return new Est(plus(sum, 1), named ? args[0].shape.member(key.constant().stringValue())
              : args[0].shape.element());
        }
        case "size":
          return new Est(plus(sum, 1), new Shape(null, 1));
        case "contains":
          if (target != null && args.length == 1) {
            return new Est(plus(sum, Math.max(1, times(factor(target.shape.size, TRAVERSAL),
                factor(args[0].shape.size, TRAVERSAL)))), new Shape(null, 1));
          }
          break;
        case "startsWith", "endsWith":
          if (target != null && args.length == 1) {
            return new Est(plus(sum, Math.max(1, factor(args[0].shape.size, TRAVERSAL))), new Shape(null, 1));
          }
          break;
        case "matches": {
          Shape subject = target != null ? target.shape : args[0].shape;
          Shape pattern = target != null ? args[0].shape : args.length > 1 ? args[1].shape : Shape.UNKNOWN;
          return new Est(plus(sum, Math.max(1, times(factor(subject.size, TRAVERSAL), factor(pattern.size, REGEX)))),
              new Shape(null, 1));
        }
        case "string":
          return new Est(plus(sum, 1), new Shape(null, isString(first) ? first.size : 20));
        default:
          break;
      }
      return new Est(plus(sum, 1), Shape.UNKNOWN);
    }

    private static boolean isSized(Shape s) {
      if (s.schema == null) {
        return s.size > 1;
      }
      String type = s.schema.path("type").asText();
      return type.equals("string") || type.equals("array") || type.equals("object")
          || s.schema.path("x-kubernetes-int-or-string").asBoolean();
    }

    private static boolean isString(Shape s) {
      return s.schema != null && ("string".equals(s.schema.path("type").asText())
          || s.schema.path("x-kubernetes-int-or-string").asBoolean());
    }

    private static boolean isStringConstant(CelExpr.CelCall call) {
      for (CelExpr a : call.args()) {
        if (a.getKind() == CelExpr.ExprKind.Kind.CONSTANT
            && a.constant().getKind() == CelConstant.Kind.STRING_VALUE) {
          return true;
        }
      }
      return false;
    }
  }
}
