package io.capstan.logschema.apply;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An apply that would change fields other managers own, worded as kube-apiserver words it:
 * {@code Apply failed with 1 conflict: conflict with "kubectl" using apps/v1: .spec.replicas}.
 */
public final class ApplyConflictException extends RuntimeException {
  /** One conflicting field: the manager that owns it and the path as structured-merge-diff prints it. */
  public record Conflict(String manager, String path) {}

  private final List<Conflict> conflicts;

  ApplyConflictException(List<Conflict> conflicts) {
    super(message(conflicts));
    this.conflicts = List.copyOf(conflicts);
  }

  public List<Conflict> conflicts() {
    return conflicts;
  }

  private static String message(List<Conflict> c) {
    if (c.size() == 1) {
      return "Apply failed with 1 conflict: conflict with " + c.get(0).manager() + ": " + c.get(0).path();
    }
    Map<String, List<String>> byManager = new TreeMap<>();
    for (Conflict conflict : c) {
      byManager.computeIfAbsent(conflict.manager(), m -> new ArrayList<>()).add(conflict.path());
    }
    List<String> lines = new ArrayList<>();
    byManager.forEach((manager, paths) -> {
      lines.add("conflicts with " + manager + ":");
      paths.forEach(p -> lines.add("- " + p));
    });
    return "Apply failed with " + c.size() + " conflicts: " + String.join("\n", lines);
  }

  static ApplyConflictException of(Map<ManagedEntry, List<String>> found) {
    List<Conflict> out = new ArrayList<>();
    new LinkedHashMap<>(found).forEach((e, paths) -> paths.forEach(p -> out.add(new Conflict(e.describe(), p))));
    return new ApplyConflictException(out);
  }
}
