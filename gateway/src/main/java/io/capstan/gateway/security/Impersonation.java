package io.capstan.gateway.security;

import io.capstan.gateway.errors.ApiException;
import io.capstan.gateway.errors.ApiStatus;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Acting as another user, as kube-apiserver's impersonation filter: the headers
 * {@code Impersonate-User}, {@code Impersonate-Group} (repeatable), {@code Impersonate-Uid} and
 * {@code Impersonate-Extra-KEY} (repeatable) name who the request is to be from, and each part
 * must be allowed by the {@link Authorizer} to the requester with the verb {@code impersonate}:
 * on {@code users} (or {@code serviceaccounts} in the ServiceAccount's namespace, for
 * {@code system:serviceaccount:NS:NAME}), {@code groups}, {@code uids} and {@code userextras/KEY}
 * (the last two in group authentication.k8s.io). Anything not allowed is a 403 worded as
 * Kubernetes words it; groups, uid or extras without a user are a 400.
 */
public final class Impersonation {
  public static final String USER = "Impersonate-User";
  public static final String GROUP = "Impersonate-Group";
  public static final String UID = "Impersonate-Uid";
  public static final String EXTRA_PREFIX = "Impersonate-Extra-";
  private static final String ANONYMOUS = "system:anonymous";
  private static final String UNAUTHENTICATED = "system:unauthenticated";

  private final Authorizer authorizer;

  public Impersonation(Authorizer authorizer) {
    this.authorizer = authorizer;
  }

  /** What a request's headers ask; {@link #none()} when it has no impersonation header. */
  public record Request(String user, List<String> groups, String uid, Map<String, List<String>> extra) {
    public boolean none() {
      return user == null && groups.isEmpty() && uid == null && extra.isEmpty();
    }
  }

  /**
   * The impersonation a request asks for, read from its headers ({@code all(name)} gives every
   * value of a header, {@code names} every header name).
   */
  public static Request read(Function<String, List<String>> all, Iterable<String> names) {
    List<String> users = all.apply(USER);
    List<String> uids = all.apply(UID);
    Map<String, List<String>> extra = new LinkedHashMap<>();
    for (String name : names) {
      if (name.length() > EXTRA_PREFIX.length() && name.regionMatches(true, 0, EXTRA_PREFIX, 0, EXTRA_PREFIX.length())) {
        String key = URLDecoder.decode(name.substring(EXTRA_PREFIX.length()), StandardCharsets.UTF_8)
            .toLowerCase(Locale.ROOT);
        extra.computeIfAbsent(key, k -> new ArrayList<>()).addAll(all.apply(name));
      }
    }
    return new Request(users.isEmpty() ? null : users.get(0), List.copyOf(all.apply(GROUP)),
        uids.isEmpty() ? null : uids.get(0), extra);
  }

  /**
   * The user {@code requester} acts as; the requester when nothing is asked. Throws an
   * {@link ApiException} (400 or 403) when the request is malformed or not allowed.
   */
  public UserInfo actAs(UserInfo requester, Request asked) {
    if (asked.none()) {
      return requester;
    }
    if (asked.user() == null || asked.user().isEmpty()) {
      throw new ApiException(ApiStatus.badRequest("requested " + describe(asked)
          + " without impersonating a user"));
    }
    String user = asked.user();
    List<String> groups = new ArrayList<>(asked.groups());
    Optional<String[]> sa = serviceAccount(user);
    if (sa.isPresent()) {
      check(requester, "", "serviceaccounts", "", sa.get()[0], sa.get()[1]);
      if (asked.groups().isEmpty()) {
        groups.add(ServiceAccountTokens.GROUP);
        groups.add(ServiceAccountTokens.GROUP + ":" + sa.get()[0]);
      }
    } else {
      check(requester, "", "users", "", "", user);
    }
    for (String g : asked.groups()) {
      check(requester, "", "groups", "", "", g);
    }
    if (asked.uid() != null) {
      check(requester, "authentication.k8s.io", "uids", "", "", asked.uid());
    }
    for (Map.Entry<String, List<String>> e : asked.extra().entrySet()) {
      for (String v : e.getValue()) {
        check(requester, "authentication.k8s.io", "userextras", e.getKey(), "", v);
      }
    }
    if (user.equals(ANONYMOUS)) {
      if (!groups.contains(UNAUTHENTICATED)) {
        groups.add(UNAUTHENTICATED);
      }
    } else if (!groups.contains(UserInfo.AUTHENTICATED)) {
      groups.add(UserInfo.AUTHENTICATED);
    }
    return new UserInfo(user, asked.uid() == null ? "" : asked.uid(), groups, asked.extra());
  }

  private void check(UserInfo requester, String group, String resource, String subresource, String namespace,
      String name) {
    Authorizer.Decision d = authorizer.authorize(RequestAttributes.resource(requester, "impersonate", group, resource,
        subresource, namespace, name));
    if (!d.allowed()) {
      String what = subresource.isEmpty() ? resource : resource + "/" + subresource;
      String scope = namespace.isEmpty() ? "at the cluster scope" : "in the namespace \"" + namespace + "\"";
      String reason = d.verdict() == Authorizer.Decision.Verdict.DENY && d.reason() != null && !d.reason().isEmpty()
          ? ": " + d.reason() : "";
      throw new ApiException(new ApiStatus(403, "Forbidden", what + " \"" + name + "\" is forbidden: User \""
          + requester.name() + "\" cannot impersonate resource \"" + what + "\" in API group \"" + group + "\" "
          + scope + reason, new ApiStatus.Details(name, group, resource, List.of(), null)));
    }
  }

  /** {@code system:serviceaccount:NS:NAME} as {NS, NAME}. */
  private static Optional<String[]> serviceAccount(String user) {
    if (!user.startsWith(ServiceAccountTokens.PREFIX)) {
      return Optional.empty();
    }
    String[] parts = user.substring(ServiceAccountTokens.PREFIX.length()).split(":", -1);
    return parts.length == 2 && !parts[0].isEmpty() && !parts[1].isEmpty() ? Optional.of(parts) : Optional.empty();
  }

  private static String describe(Request r) {
    List<String> parts = new ArrayList<>();
    r.groups().forEach(g -> parts.add("group " + g));
    if (r.uid() != null) {
      parts.add("uid " + r.uid());
    }
    r.extra().forEach((k, v) -> parts.add("extra " + k + "=" + v));
    return "[" + String.join(", ", parts) + "]";
  }
}
