package io.capstan.stateviews.processor.authz;

import io.capstan.log.Command;
import io.capstan.log.CommandOp;
import io.capstan.logschema.kinds.Kind;

/**
 * What a command asks, in the terms RBAC decides on (kube-apiserver's request attributes): the
 * verb, the resource and subresource, namespace and name. CREATE is {@code create}; UPDATE is
 * {@code update}, or {@code patch} when it carries the patch it was computed from; UPDATE_STATUS
 * is the same on {@code <resource>/status}; DELETE is {@code delete}; BIND is {@code create} on
 * {@code pods/binding}.
 */
public record CommandAttributes(String verb, String apiGroup, String resource, String subresource, String namespace,
    String name) {

  public static CommandAttributes of(Command cmd, Kind kind) {
    String writeVerb = cmd.getPatch() != null ? "patch" : "update";
    String verb;
    String subresource = "";
    switch (cmd.getOp()) {
      case CREATE -> verb = "create";
      case UPDATE -> {
        verb = writeVerb;
        subresource = cmd.getSubresource() == null ? "" : cmd.getSubresource();
      }
      case UPDATE_STATUS -> {
        verb = writeVerb;
        subresource = "status";
      }
      case DELETE -> verb = "delete";
      case BIND -> {
        verb = "create";
        subresource = "binding";
      }
      default -> throw new IllegalArgumentException("unknown command op " + cmd.getOp());
    }
    // A create names no object to the authorizer (its URL has no name), so resourceNames never allow one.
    String name = cmd.getOp() == CommandOp.CREATE ? "" : cmd.getName();
    return new CommandAttributes(verb, kind.group(), kind.plural(), subresource, cmd.getNamespace(), name);
  }

  /** {@code pods/status}, or the resource alone. */
  public String combinedResource() {
    return subresource.isEmpty() ? resource : resource + "/" + subresource;
  }

  /**
   * kube-apiserver's wording of an RBAC denial: {@code User "system:node:n1" cannot update resource
   * "pods/status" in API group "" in the namespace "default"} (or {@code at the cluster scope}).
   */
  public String denial(String user) {
    String scope = namespace.isEmpty() ? "at the cluster scope" : "in the namespace \"" + namespace + "\"";
    return "User \"" + user + "\" cannot " + verb + " resource \"" + combinedResource() + "\" in API group \""
        + apiGroup + "\" " + scope;
  }

}
