package io.capstan.gateway.selection;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A parsed {@code fieldSelector}: {@code field=value}, {@code field==value} or
 * {@code field!=value} terms separated by commas, on the fields kube-apiserver indexes:
 * {@code metadata.name} and {@code metadata.namespace} for every kind, plus
 * {@code spec.nodeName} and {@code status.phase} for pods and {@code involvedObject.*},
 * {@code reason}, {@code type} and {@code source} for events. Any other field is an error naming
 * it, as kube-apiserver's "field label not supported".
 */
public record FieldSelector(List<Term> terms) {
  public static final FieldSelector EVERYTHING = new FieldSelector(List.of());

  public record Term(String field, boolean equals, String value) {}

  private static final Set<String> COMMON = Set.of("metadata.name", "metadata.namespace");
  private static final Set<String> POD = Set.of("spec.nodeName", "status.phase", "spec.restartPolicy",
      "spec.schedulerName", "spec.serviceAccountName", "status.podIP", "status.nominatedNodeName");
  private static final Set<String> EVENT = Set.of("involvedObject.kind", "involvedObject.namespace",
      "involvedObject.name", "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
      "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type");
  private static final Set<String> NODE = Set.of("spec.unschedulable");

  public FieldSelector {
    terms = List.copyOf(terms);
  }

  public static FieldSelector parse(Kind kind, String text) {
    if (text == null || text.isBlank()) {
      return EVERYTHING;
    }
    List<Term> terms = new ArrayList<>();
    for (String raw : text.split(",")) {
      String t = raw.strip();
      int ne = t.indexOf("!=");
      int eqeq = t.indexOf("==");
      int eq = t.indexOf('=');
      Term term;
      if (ne > 0) {
        term = new Term(t.substring(0, ne).strip(), false, t.substring(ne + 2).strip());
      } else if (eqeq > 0) {
        term = new Term(t.substring(0, eqeq).strip(), true, t.substring(eqeq + 2).strip());
      } else if (eq > 0) {
        term = new Term(t.substring(0, eq).strip(), true, t.substring(eq + 1).strip());
      } else {
        throw new SelectorException("invalid field selector term \"" + t + "\": expected field=value, "
            + "field==value or field!=value");
      }
      if (!supported(kind, term.field())) {
        throw new SelectorException("field label not supported: " + term.field());
      }
      terms.add(term);
    }
    return new FieldSelector(terms);
  }

  static boolean supported(Kind kind, String field) {
    return COMMON.contains(field)
        || (kind == Kinds.POD && POD.contains(field))
        || (kind == Kinds.EVENT && EVENT.contains(field))
        || (kind == Kinds.NODE && NODE.contains(field));
  }

  /** Matches the object's Kubernetes JSON; a missing field compares as the empty string, as in Kubernetes. */
  public boolean matches(JsonNode object) {
    for (Term t : terms) {
      String actual = valueAt(object, t.field());
      if (actual.equals(t.value()) != t.equals()) {
        return false;
      }
    }
    return true;
  }

  public boolean isEverything() {
    return terms.isEmpty();
  }

  private static String valueAt(JsonNode object, String dotted) {
    JsonNode n = object;
    for (String part : dotted.split("\\.")) {
      n = n.path(part);
    }
    if (dotted.equals("source")) {
      n = object.path("source").path("component");
    }
    return n.isMissingNode() || n.isNull() ? "" : n.asText();
  }
}
