package io.capstan.nodeagent.runtime;

import java.nio.file.Path;
import java.util.List;

/**
 * An image on the node.
 *
 * @param names      its names, normalized ({@code docker.io/library/busybox:latest})
 * @param id         its content digest, {@code sha256:…} (status.containerStatuses[].imageID)
 * @param layers     its unpacked, read-only layers, the base first (shared by every container of
 *                   the image, and by every image with the same layer)
 * @param entrypoint the image's ENTRYPOINT (may be empty)
 * @param cmd        the image's CMD (may be empty)
 * @param env        the image's ENV, {@code NAME=value}
 * @param workingDir the image's WORKDIR; empty for {@code /}
 * @param sizeBytes  its size on disk
 */
public record ImageInfo(List<String> names, String id, List<Path> layers, List<String> entrypoint, List<String> cmd,
    List<String> env, String workingDir, long sizeBytes) {
  public ImageInfo {
    names = List.copyOf(names);
    layers = List.copyOf(layers);
    entrypoint = List.copyOf(entrypoint);
    cmd = List.copyOf(cmd);
    env = List.copyOf(env);
    if (layers.isEmpty()) {
      throw new IllegalArgumentException("image " + names + " has no layer");
    }
  }

  /** A single-layer image whose root filesystem is {@code rootfs}. */
  public ImageInfo(List<String> names, String id, Path rootfs, List<String> entrypoint, List<String> cmd,
      List<String> env, String workingDir, long sizeBytes) {
    this(names, id, List.of(rootfs), entrypoint, cmd, env, workingDir, sizeBytes);
  }

  /** The root filesystem of a single-layer image (a bare runc bundle can use it as is). */
  public Path rootfs() {
    if (layers.size() != 1) {
      throw new IllegalStateException("image " + names + " has " + layers.size() + " layers, not one root filesystem");
    }
    return layers.get(0);
  }

  /** The overlayfs {@code lowerdir} option: the layers, top-most first, separated by colons. */
  public String overlayLowerDir() {
    StringBuilder lower = new StringBuilder();
    for (int i = layers.size() - 1; i >= 0; i--) {
      lower.append(layers.get(i)).append(i > 0 ? ":" : "");
    }
    return lower.toString();
  }
}
