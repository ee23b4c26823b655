package io.capstan.logschema.apply;

/**
 * One entry of {@code metadata.managedFields}: the fields a manager owns through one kind of
 * operation ({@code Apply} or {@code Update}) on the object or one subresource.
 *
 * @param time        RFC 3339, seconds, or null
 * @param subresource "" for the object itself
 */
public record ManagedEntry(String manager, String operation, String apiVersion, String time, String subresource,
    FieldSet fields) {
  public static final String APPLY = "Apply";
  public static final String UPDATE = "Update";

  public ManagedEntry {
    subresource = subresource == null ? "" : subresource;
  }

  boolean is(String manager, String operation, String subresource) {
    return this.manager.equals(manager) && this.operation.equals(operation) && this.subresource.equals(subresource);
  }

  ManagedEntry with(FieldSet fields) {
    return new ManagedEntry(manager, operation, apiVersion, time, subresource, fields);
  }

  /** The manager as kube-apiserver names it in a conflict. */
  String describe() {
    String s = "\"" + manager + "\"";
    if (!subresource.isEmpty()) {
      s += " with subresource \"" + subresource + "\"";
    }
    if (operation.equals(UPDATE)) {
      s += " using " + apiVersion + (time == null ? "" : " at " + time);
    }
    return s;
  }
}
