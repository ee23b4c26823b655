package io.capstan.logschema.json;

import java.util.List;

/**
 * A converted object with the JSON paths of the fields the schema does not know, which
 * were skipped. Callers implement Kubernetes' {@code fieldValidation}: Strict rejects when
 * the list is non-empty, Warn returns each as a warning ({@code unknown field "..."}),
 * Ignore drops them.
 */
public record Converted<T>(T object, List<String> unknownFields) {
  public Converted {
    unknownFields = List.copyOf(unknownFields);
  }

  public boolean hasUnknownFields() {
    return !unknownFields.isEmpty();
  }

  /** Warnings worded as kube-apiserver words them: {@code unknown field "spec.foo"}. */
  public List<String> unknownFieldWarnings() {
    return unknownFields.stream().map(p -> "unknown field \"" + p + "\"").toList();
  }
}
