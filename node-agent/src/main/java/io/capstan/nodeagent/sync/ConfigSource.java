package io.capstan.nodeagent.sync;

import io.capstan.api.ConfigMap;
import io.capstan.api.Secret;
import java.util.Optional;

/** Where the sync loop finds the ConfigMaps and Secrets pods refer to (env, envFrom, volumes). */
public interface ConfigSource {
  Optional<ConfigMap> configMap(String namespace, String name);

  Optional<Secret> secret(String namespace, String name);

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
