package io.capstan.nodeagent.runtime;

/** The image a pod names cannot be had (kubelet's ErrImagePull, then ImagePullBackOff). */
public final class ImagePullFailure extends RuntimeFailure {
  public static final String ERR_IMAGE_PULL = "ErrImagePull";

  public ImagePullFailure(String message) {
    super(ERR_IMAGE_PULL, message);
  }
}
