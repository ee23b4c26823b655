package io.capstan.nodeagent.logs;

import java.nio.file.Path;

/**
 * Where container logs live, as kubelet lays out {@code /var/log/pods}: {@code
 * <root>/<namespace>_<pod>_<uid>/<container>/<restartCount>.log}.
 */
public record PodLogPaths(Path root) {
  public Path podDir(String namespace, String pod, String uid) {
    return root.resolve(namespace + "_" + pod + "_" + uid);
  }

  public Path containerLog(String namespace, String pod, String uid, String container, int restartCount) {
    return podDir(namespace, pod, uid).resolve(container).resolve(restartCount + ".log");
  }
}
