package io.capstan.logschema.images;

/**
 * An image name as users write it, normalized the way Docker and Kubernetes do: {@code busybox}
 * means {@code docker.io/library/busybox:latest}; a first path component with a dot, a colon or
 * {@code localhost} is a registry host; no tag means {@code :latest}.
 *
 * @param registry   e.g. {@code docker.io}
 * @param repository e.g. {@code library/busybox}
 * @param tag        e.g. {@code latest}; null when a digest is given
 * @param digest     e.g. {@code sha256:…}; null when none
 */
public record ImageReference(String registry, String repository, String tag, String digest) {
  public static final String DOCKER_HUB = "docker.io";
  // compiled once: every pod write parses each container's image
  private static final java.util.regex.Pattern DIGEST = java.util.regex.Pattern.compile("sha256:[0-9a-f]{64}");
  private static final java.util.regex.Pattern TAG = java.util.regex.Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  private static final java.util.regex.Pattern REPOSITORY =
      java.util.regex.Pattern.compile("[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*");

  public static ImageReference parse(String reference) {
    if (reference == null || reference.isBlank()) {
      throw new IllegalArgumentException("image reference is empty");
    }
    String ref = reference.trim();
    if (hasWhitespace(ref)) {
      throw new IllegalArgumentException("invalid image reference \"" + reference + "\"");
    }
    String digest = null;
    int at = ref.indexOf('@');
    if (at >= 0) {
      digest = ref.substring(at + 1);
      ref = ref.substring(0, at);
      if (!DIGEST.matcher(digest).matches()) {
        throw new IllegalArgumentException("invalid digest in image reference \"" + reference + "\": " + digest);
      }
    }
    String registry = DOCKER_HUB;
    String rest = ref;
    int slash = ref.indexOf('/');
    if (slash > 0) {
      String first = ref.substring(0, slash);
      if (first.contains(".") || first.contains(":") || first.equals("localhost")) {
        registry = first;
        rest = ref.substring(slash + 1);
      }
    }
    if (registry.equals("index.docker.io")) {
      registry = DOCKER_HUB;
    }
    String tag = null;
    int colon = rest.lastIndexOf(':');
    if (colon >= 0) {
      tag = rest.substring(colon + 1);
      rest = rest.substring(0, colon);
      if (!TAG.matcher(tag).matches()) {
        throw new IllegalArgumentException("invalid tag in image reference \"" + reference + "\": " + tag);
      }
    }
    if (rest.isEmpty() || !REPOSITORY.matcher(rest).matches()) {
      throw new IllegalArgumentException("invalid repository name in image reference \"" + reference
          + "\" (lowercase letters, digits, '.', '_', '-' and '/' only)");
    }
    if (registry.equals(DOCKER_HUB) && !rest.contains("/")) {
      rest = "library/" + rest;
    }
    if (tag == null && digest == null) {
      tag = "latest";
    }
    return new ImageReference(registry, rest, tag, digest);
  }

  private static boolean hasWhitespace(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.isWhitespace(s.charAt(i))) {
        return true;
      }
    }
    return false;
  }

  /** The full normalized name, e.g. {@code docker.io/library/busybox:latest}. */
  public String normalized() {
    return registry + "/" + repository + (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
  }

  @Override
  public String toString() {
    return normalized();
  }
}
