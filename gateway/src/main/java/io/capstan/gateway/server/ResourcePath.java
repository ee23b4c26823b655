package io.capstan.gateway.server;

import java.util.ArrayList;
import java.util.List;

/**
 * A request path under {@code /api} or {@code /apis}, taken apart as kube-apiserver does:
 * {@code /api/v1/namespaces/{ns}/{resource}/{name}/{subresource}} or the cluster-scoped and
 * all-namespaces forms. {@code resource} is null for discovery paths ({@code /api/v1},
 * {@code /apis/apps/v1}); {@code version} null for {@code /api}, {@code /apis}, {@code /apis/{g}}.
 */
record ResourcePath(String group, String version, String namespace, String resource, String name,
    String subresource) {

  /**
   * One segment, percent-decoded ({@code +} stays a plus, as in any path); a bad escape is the
   * client's error, 400 as Go's URL parsing gives it, not a server fault.
   */
  private static String decode(String segment) {
    try {
      return io.capstan.gateway.security.HttpRequestAttributes.decodeSegment(segment);
    } catch (IllegalArgumentException e) {
      throw new io.capstan.gateway.errors.ApiException(io.capstan.gateway.errors.ApiStatus.badRequest(e.getMessage()));
    }
  }

  /** The parsed path, or null when it is not an API path at all or has too many segments. */
  static ResourcePath parse(String path) {
    List<String> seg = new ArrayList<>();
    for (String s : path.split("/")) {
      if (!s.isEmpty()) {
        seg.add(decode(s));
      }
    }
    if (seg.isEmpty()) {
      return null;
    }
    String group;
    int i;
    if (seg.get(0).equals("api")) {
      group = "";
      i = 1;
    } else if (seg.get(0).equals("apis")) {
      if (seg.size() == 1) {
        return new ResourcePath(null, null, null, null, null, null);
      }
      group = seg.get(1);
      i = 2;
    } else {
      return null;
    }
    if (seg.size() == i) {
      return new ResourcePath(group, null, null, null, null, null);
    }
    String version = seg.get(i++);
    List<String> rest = seg.subList(i, seg.size());
    String namespace = null;
    // namespaces/{ns}/{resource}... unless it is the namespace object's own subresource.
    if (rest.size() >= 3 && rest.get(0).equals("namespaces") && !rest.get(2).equals("status")
        && !rest.get(2).equals("finalize")) {
      namespace = rest.get(1);
      rest = rest.subList(2, rest.size());
    }
    if (rest.size() > 3) {
      return null;
    }
    return new ResourcePath(group, version, namespace,
        rest.isEmpty() ? null : rest.get(0),
        rest.size() > 1 ? rest.get(1) : null,
        rest.size() > 2 ? rest.get(2) : null);
  }
}
