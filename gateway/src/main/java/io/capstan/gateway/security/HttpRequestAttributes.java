package io.capstan.gateway.security;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/**
 * What an HTTP request asks to do, read from its method, path and query as kube-apiserver's
 * {@code RequestInfoFactory} reads it: under {@code /api/{version}} and
 * {@code /apis/{group}/{version}} a resource request (GET of one object {@code get}, of a
 * collection {@code list}, or {@code watch} with {@code ?watch=true} or the legacy
 * {@code /watch/} prefix; POST {@code create}; PUT {@code update}; PATCH {@code patch}; DELETE of
 * one object {@code delete}, of a collection {@code deletecollection}), anything else (discovery
 * documents, {@code /healthz}, {@code /metrics}) a non-resource request whose verb is the
 * lower-cased HTTP method.
 */
public final class HttpRequestAttributes {
  /** Path verbs that come before the resource ({@code /api/v1/watch/pods}). */
  private static final Set<String> PATH_VERBS = Set.of("watch", "proxy");
  /** Subresources of a Namespace itself, not resources inside it. */
  private static final Set<String> NAMESPACE_SUBRESOURCES = Set.of("status", "finalize");
  /** Pod subresources that open a stream into the pod. */
  private static final Set<String> CONNECT_SUBRESOURCES = Set.of("exec", "attach", "portforward");

  private HttpRequestAttributes() {}

  /**
   * @param query a query parameter by name (null when absent)
   */
  public static RequestAttributes of(UserInfo user, String method, String rawPath, Function<String, String> query) {
    String m = method.toUpperCase(Locale.ROOT);
    List<String> parts = segments(rawPath);
    String path = rawPath.isEmpty() ? "/" : rawPath;
    RequestAttributes nonResource = RequestAttributes.nonResource(user, m.toLowerCase(Locale.ROOT), path);
    if (parts.size() < 3 || !(parts.get(0).equals("api") || parts.get(0).equals("apis"))) {
      return nonResource;
    }
    List<String> rest = parts.subList(1, parts.size());
    String group = "";
    if (parts.get(0).equals("apis")) {
      if (rest.size() < 3) {
        return nonResource; // group and version, but no resource: discovery
      }
      group = rest.get(0);
      rest = rest.subList(1, rest.size());
    }
    rest = rest.subList(1, rest.size()); // the version
    String verb;
    boolean byMethod = false;
    if (PATH_VERBS.contains(rest.get(0))) {
      if (rest.size() < 2) {
        return nonResource;
      }
      verb = rest.get(0);
      rest = rest.subList(1, rest.size());
    } else {
      byMethod = true;
      verb = switch (m) {
        case "POST" -> "create";
        case "GET", "HEAD" -> "get";
        case "PUT" -> "update";
        case "PATCH" -> "patch";
        case "DELETE" -> "delete";
        default -> "";
      };
    }
    String namespace = "";
    if (rest.get(0).equals("namespaces") && rest.size() > 1) {
      namespace = rest.get(1);
      if (rest.size() > 2 && !NAMESPACE_SUBRESOURCES.contains(rest.get(2))) {
        rest = rest.subList(2, rest.size());
      }
    }
    String resource = rest.get(0);
    String name = rest.size() >= 2 ? rest.get(1) : "";
    String subresource = rest.size() >= 3 && !verb.equals("proxy") ? rest.get(2) : "";
    if (name.isEmpty() && verb.equals("get")) {
      verb = isTrue(query.apply("watch")) ? "watch" : "list";
    }
    if (name.isEmpty() && (verb.equals("list") || verb.equals("watch"))) {
      name = exactName(query.apply("fieldSelector")); // kubectl get pod x --watch asks this way
    }
    if (name.isEmpty() && verb.equals("delete") && byMethod) {
      verb = "deletecollection";
    }
    if (verb.equals("get") && group.isEmpty() && resource.equals("pods") && CONNECT_SUBRESOURCES.contains(subresource)) {
      // A WebSocket must open with GET, yet it runs a command or opens a port: kube-apiserver
      // authorizes it as the POST it stands for (create), since 1.30.
      verb = "create";
    }
    return RequestAttributes.resource(user, verb, group, resource, subresource, namespace, name);
  }

  private static boolean isTrue(String v) {
    return v != null && (v.equals("1") || v.equalsIgnoreCase("true"));
  }

  /** The name a field selector pins with {@code metadata.name=x} (or {@code ==}), else empty. */
  private static String exactName(String selector) {
    if (selector == null || selector.isBlank()) {
      return "";
    }
    for (String term : selector.split(",")) {
      String t = term.strip();
      String value = t.startsWith("metadata.name==") ? t.substring("metadata.name==".length())
          : t.startsWith("metadata.name=") ? t.substring("metadata.name=".length()) : null;
      if (value != null && !value.isEmpty() && !value.contains("/") && !value.equals(".") && !value.equals("..")) {
        return value;
      }
    }
    return "";
  }

  /**
   * One path segment, percent-decoded as a URL path is ({@code +} stays a plus).
   *
   * @throws IllegalArgumentException naming the segment when an escape is bad (the client's error)
   */
  public static String decodeSegment(String segment) {
    try {
      return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the path has an invalid escape in \"" + segment + "\": " + e.getMessage(), e);
    }
  }

  private static List<String> segments(String path) {
    List<String> out = new ArrayList<>();
    for (String s : path.split("/")) {
      if (!s.isEmpty()) {
        out.add(decodeSegment(s));
      }
    }
    return out;
  }

  /**
   * kube-apiserver's wording of a denial ({@code forbiddenMessage}): {@code User "alice" cannot
   * list resource "pods" in API group "" in the namespace "default"}, or {@code ... cannot get
   * path "/metrics"}.
   */
  public static String denial(RequestAttributes a) {
    String user = a.user() == null ? "" : a.user().name();
    if (!a.resourceRequest()) {
      return "User \"" + user + "\" cannot " + a.verb() + " path \"" + a.path() + "\"";
    }
    String resource = a.subresource().isEmpty() ? a.resource() : a.resource() + "/" + a.subresource();
    String scope = a.namespace().isEmpty() ? "at the cluster scope" : "in the namespace \"" + a.namespace() + "\"";
    return "User \"" + user + "\" cannot " + a.verb() + " resource \"" + resource + "\" in API group \""
        + a.apiGroup() + "\" " + scope;
  }
}
