package io.capstan.nodeagent.runtime;

import java.util.List;
import java.util.Optional;

/** CRI's ImageService: the images this node has. */
public interface ImageService {

  /**
   * The image a pod names, made present on the node (CRI PullImage).
   *
   * @throws ImagePullFailure when the image cannot be had (kubelet's ErrImagePull)
   */
  ImageInfo pullImage(String reference);

  /** The image if present, without pulling (CRI ImageStatus). */
  Optional<ImageInfo> imageStatus(String reference);

  /** Every image on the node (CRI ListImages), for {@code node.status.images}. */
  List<ImageInfo> listImages();
}
