package io.capstan.stateviews.processor.authz;

import java.util.List;
import java.util.Optional;

/**
 * A component's identity, as Kubernetes names its control-plane users: {@code system:kube-scheduler},
 * {@code system:kube-controller-manager} and {@code system:node:<nodeName>} in the group
 * {@code system:nodes}. Every authenticated user is also in {@code system:authenticated}.
 *
 * @param nodeName the node a {@code system:node:} identity is, else empty
 */
public record ComponentIdentity(String user, List<String> groups, String nodeName) {
  public static final String SCHEDULER = "system:kube-scheduler";
  public static final String CONTROLLER_MANAGER = "system:kube-controller-manager";
  public static final String NODE_PREFIX = "system:node:";
  public static final String NODES_GROUP = "system:nodes";
  public static final String AUTHENTICATED = "system:authenticated";

  public ComponentIdentity {
    groups = List.copyOf(groups);
  }

  public boolean isNode() {
    return !nodeName.isEmpty();
  }

  /**
   * The field manager its writes record, as Kubernetes' components name themselves in
   * {@code managedFields}: {@code kube-scheduler}, {@code kube-controller-manager}, {@code kubelet}.
   */
  public String fieldManager() {
    if (isNode()) {
      return "kubelet";
    }
    return user.substring("system:".length());
  }

  /** The node agent's identity for {@code nodeName}. */
  public static String nodeUser(String nodeName) {
    return NODE_PREFIX + nodeName;
  }

  /**
   * The component an actor names, or empty for any other actor (a user whose request the gateway
   * authorized, or one of the API server's own writers such as the bootstrap).
   */
  public static Optional<ComponentIdentity> of(String actor) {
    if (actor == null) {
      return Optional.empty();
    }
    if (actor.equals(SCHEDULER) || actor.equals(CONTROLLER_MANAGER)) {
      return Optional.of(new ComponentIdentity(actor, List.of(AUTHENTICATED), ""));
    }
    if (actor.startsWith(NODE_PREFIX) && actor.length() > NODE_PREFIX.length()) {
      return Optional.of(new ComponentIdentity(actor, List.of(NODES_GROUP, AUTHENTICATED),
          actor.substring(NODE_PREFIX.length())));
    }
    return Optional.empty();
  }
}
