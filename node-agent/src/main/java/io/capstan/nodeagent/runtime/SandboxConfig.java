package io.capstan.nodeagent.runtime;

/**
 * What a pod sandbox needs (CRI PodSandboxConfig, trimmed).
 *
 * @param podUid      the pod's uid (sandboxes are per pod incarnation, not per name)
 * @param namespace   the pod's namespace
 * @param name        the pod's name
 * @param hostname    the pod's hostname ({@code spec.hostname} or its name)
 * @param hostNetwork true when the pod uses the node's network namespace
 */
public record SandboxConfig(String podUid, String namespace, String name, String hostname, boolean hostNetwork) {
  public SandboxConfig {
    if (podUid == null || podUid.isBlank()) {
      throw new IllegalArgumentException("sandbox config of " + namespace + "/" + name + ": podUid is required");
    }
  }
}
