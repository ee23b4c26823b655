package io.capstan.gateway.security;

/**
 * What a request asks to do, in the terms authorization decides on (kube-apiserver's
 * {@code authorizer.Attributes}): who, which verb, and either a resource (API group, resource,
 * subresource, namespace, name) or a non-resource URL path.
 *
 * <p>Verbs are Kubernetes' request verbs: {@code get}, {@code list}, {@code watch},
 * {@code create}, {@code update}, {@code patch}, {@code delete}, {@code deletecollection}, and
 * the special ones ({@code impersonate}, {@code bind}, {@code escalate}, …); for non-resource
 * requests the lower-cased HTTP method ({@code get}, {@code post}, …).
 *
 * @param namespace empty for cluster-scoped resources and requests across all namespaces
 * @param name empty when the request does not name one object (list, create without a name)
 * @param path the URL path of a non-resource request; empty for resource requests
 */
public record RequestAttributes(UserInfo user, String verb, boolean resourceRequest, String apiGroup,
    String resource, String subresource, String namespace, String name, String path) {
  public RequestAttributes {
    apiGroup = apiGroup == null ? "" : apiGroup;
    resource = resource == null ? "" : resource;
    subresource = subresource == null ? "" : subresource;
    namespace = namespace == null ? "" : namespace;
    name = name == null ? "" : name;
    path = path == null ? "" : path;
  }

  /** A request on a resource (or one of its subresources). */
  public static RequestAttributes resource(UserInfo user, String verb, String apiGroup, String resource,
      String subresource, String namespace, String name) {
    return new RequestAttributes(user, verb, true, apiGroup, resource, subresource, namespace, name, "");
  }

  /** A request on a URL that is not a resource ({@code /healthz}, {@code /version}, {@code /metrics}). */
  public static RequestAttributes nonResource(UserInfo user, String verb, String path) {
    return new RequestAttributes(user, verb, false, "", "", "", "", "", path);
  }
}
