package io.capstan.nodeagent.runtime;

/** A user name and password for an image registry (from a pod's imagePullSecrets, or given to a pull). */
public record RegistryCredentials(String username, String password) {
  @Override
  public String toString() {
    return "RegistryCredentials[" + username + "]"; // never the password
  }
}
