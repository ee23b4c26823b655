package io.capstan.scheduler.framework;

/** Image references as ImageLocality compares them: a name without a tag or digest means {@code :latest}. */
public final class ImageNames {
  private ImageNames() {}

  public static String normalize(String image) {
    if (image.contains("@")) {
      return image;
    }
    int slash = image.lastIndexOf('/');
    return image.indexOf(':', slash + 1) >= 0 ? image : image + ":latest";
  }
}
