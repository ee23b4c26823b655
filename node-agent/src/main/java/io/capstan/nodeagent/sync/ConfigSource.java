package io.capstan.nodeagent.sync;

import io.capstan.api.ConfigMap;
import io.capstan.api.Secret;
import io.capstan.api.Service;
import java.util.List;
import java.util.Optional;

/**
 * Where the sync loop finds the ConfigMaps and Secrets pods refer to (env, envFrom, volumes), and
 * the Services whose variables pods get.
 */
public interface ConfigSource {
  Optional<ConfigMap> configMap(String namespace, String name);

  Optional<Secret> secret(String namespace, String name);

  /** The Services of a namespace, for the pods' service environment variables; none by default. */
  default List<Service> services(String namespace) {
    return List.of();
  }

  /** A Service by name, for {@code default/kubernetes}; none by default. */
  default Optional<Service> service(String namespace, String name) {
    return Optional.empty();
  }

  /** A PersistentVolumeClaim, for a pod's persistentVolumeClaim volumes; none by default. */
  default Optional<io.capstan.api.PersistentVolumeClaim> claim(String namespace, String name) {
    return Optional.empty();
  }

  /** A PersistentVolume by name, the one a claim is bound to; none by default. */
  default Optional<io.capstan.api.PersistentVolume> persistentVolume(String name) {
    return Optional.empty();
  }

  /** Where the tokens of serviceAccountToken projections come from; none by default. */
  default io.capstan.nodeagent.volume.ServiceAccountTokenSource tokens() {
    return io.capstan.nodeagent.volume.ServiceAccountTokenSource.NONE;
  }

  /**
   * Calls {@code changed} with the namespace of every ConfigMap or Secret that is added, updated or
   * deleted, so pods' volumes follow them; returns what stops the calls. Nothing by default.
   */
  default AutoCloseable onConfigChange(java.util.function.Consumer<String> changed) {
    return () -> { };
  }

  /** For pods that use neither (and hollow nodes). */
  static ConfigSource none() {
    return new ConfigSource() {
      @Override
      public Optional<ConfigMap> configMap(String namespace, String name) {
        return Optional.empty();
      }

      @Override
      public Optional<Secret> secret(String namespace, String name) {
        return Optional.empty();
      }
    };
  }
}
