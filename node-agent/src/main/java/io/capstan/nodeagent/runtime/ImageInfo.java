package io.capstan.nodeagent.runtime;

import java.nio.file.Path;
import java.util.List;

/**
 * An image on the node.
 *
 * @param names      its names, normalized ({@code docker.io/library/busybox:latest})
 * @param id         its content digest, {@code sha256:…} (status.containerStatuses[].imageID)
 * @param rootfs     the unpacked, read-only root filesystem (shared by every container of the image)
 * @param entrypoint the image's ENTRYPOINT (may be empty)
 * @param cmd        the image's CMD (may be empty)
 * @param env        the image's ENV, {@code NAME=value}
 * @param workingDir the image's WORKDIR; empty for {@code /}
 * @param sizeBytes  its size on disk
 */
public record ImageInfo(List<String> names, String id, Path rootfs, List<String> entrypoint, List<String> cmd,
    List<String> env, String workingDir, long sizeBytes) {
  public ImageInfo {
    names = List.copyOf(names);
    entrypoint = List.copyOf(entrypoint);
    cmd = List.copyOf(cmd);
    env = List.copyOf(env);
  }
}
