package io.capstan.nodeagent.sync;

/** A container's configuration cannot be resolved (kubelet's CreateContainerConfigError). */
final class ConfigError extends Exception {
  ConfigError(String message) {
    super(message);
  }
}
