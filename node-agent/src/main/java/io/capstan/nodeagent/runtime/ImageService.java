package io.capstan.nodeagent.runtime;

import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/** CRI's ImageService: the images this node has. */
public interface ImageService {

  /**
   * The image a pod names, made present on the node (CRI PullImage).
   *
   * @throws ImagePullFailure when the image cannot be had (kubelet's ErrImagePull)
   */
  ImageInfo pullImage(String reference);

  /**
   * CRI PullImage with a pod's pull secrets: with {@code refresh} (imagePullPolicy Always) the
   * image is asked of its registry even when present; a registry's challenge is answered with
   * {@code credentials} for its host. A service that pulls from nowhere answers as
   * {@link #pullImage(String)}.
   *
   * @throws ImagePullFailure when the image cannot be had (kubelet's ErrImagePull)
   */
  default ImageInfo pullImage(String reference, boolean refresh,
      Function<String, Optional<RegistryCredentials>> credentials) {
    return pullImage(reference);
  }

  /** The image if present, without pulling (CRI ImageStatus). */
  Optional<ImageInfo> imageStatus(String reference);

  /** Every image on the node (CRI ListImages), for {@code node.status.images}. */
  List<ImageInfo> listImages();
}
