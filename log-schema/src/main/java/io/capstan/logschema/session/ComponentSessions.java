package io.capstan.logschema.session;

import java.util.Optional;
import java.util.function.Function;

/**
 * Where the process's command clients find the credentials of the identity they act as, the way
 * {@link io.capstan.logschema.secrets.SecretKeys} gives them the encryption keys: the launcher
 * installs a source (backed by the cluster CA under the data dir's {@code pki/}) before any
 * component starts. Without one, commands carry no session ticket, which only a processor that
 * does not authenticate accepts.
 */
public final class ComponentSessions {
  private static volatile Function<String, Optional<ComponentCredentials>> source;

  private ComponentSessions() {}

  /** From now on, clients open sessions with what {@code credentials} gives for their identity. */
  public static void install(Function<String, Optional<ComponentCredentials>> credentials) {
    source = credentials;
  }

  /** Clients send commands without sessions again (tests). */
  public static void clear() {
    source = null;
  }

  public static boolean installed() {
    return source != null;
  }

  /** The credentials of {@code identity}, or empty when there is no source or it has none for it. */
  public static Optional<ComponentCredentials> credentials(String identity) {
    Function<String, Optional<ComponentCredentials>> s = source;
    return s == null ? Optional.empty() : s.apply(identity);
  }
}
