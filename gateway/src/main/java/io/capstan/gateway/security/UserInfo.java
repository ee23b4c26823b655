package io.capstan.gateway.security;

import java.util.List;
import java.util.Map;

/**
 * An authenticated user: name, uid, groups and extra attributes (kube-apiserver's
 * {@code user.Info}; a ServiceAccount token's user carries the pod it is bound to as extra).
 */
public record UserInfo(String name, String uid, List<String> groups, Map<String, List<String>> extra) {
  public UserInfo {
    groups = List.copyOf(groups);
    extra = extra == null ? Map.of() : Map.copyOf(extra);
  }

  /** A user without extra attributes. */
  public UserInfo(String name, String uid, List<String> groups) {
    this(name, uid, groups, Map.of());
  }

  /** The group kube-apiserver adds to every authenticated user. */
  public static final String AUTHENTICATED = "system:authenticated";
}
