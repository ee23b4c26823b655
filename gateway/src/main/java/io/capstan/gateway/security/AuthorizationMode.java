package io.capstan.gateway.security;

import java.util.Arrays;
import java.util.Locale;

/** The gateway's {@code --authorization} setting: RBAC (the default) or allowing every authenticated request. */
public enum AuthorizationMode {
  RBAC("rbac"),
  ALWAYS_ALLOW("always-allow");

  private final String flag;

  AuthorizationMode(String flag) {
    this.flag = flag;
  }

  public String flag() {
    return flag;
  }

  /** The mode a flag value names; an {@link IllegalArgumentException} listing the choices otherwise. */
  public static AuthorizationMode parse(String value) {
    String v = value == null ? "" : value.strip().toLowerCase(Locale.ROOT);
    return Arrays.stream(values()).filter(m -> m.flag.equals(v)).findFirst().orElseThrow(() ->
        new IllegalArgumentException("unknown authorization mode \"" + value + "\": use rbac or always-allow"));
  }

  @Override
  public String toString() {
    return flag;
  }
}
