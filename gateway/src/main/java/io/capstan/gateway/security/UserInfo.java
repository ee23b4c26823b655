package io.capstan.gateway.security;

import java.util.List;

/** An authenticated user: name, uid and groups, as a token file line declares them. */
public record UserInfo(String name, String uid, List<String> groups) {
  public UserInfo {
    groups = List.copyOf(groups);
  }

  /** The group kube-apiserver adds to every authenticated user. */
  public static final String AUTHENTICATED = "system:authenticated";
}
