package io.capstan.gateway.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kind;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A custom kind served in several versions with conversion strategy None, as apiextensions-apiserver
 * does it: the objects are the same in every version, only {@code apiVersion} names the version
 * the client asked for; a version marked {@code deprecated} adds a {@code Warning} header to every
 * request made in it (its {@code deprecationWarning}, or Kubernetes' default text).
 */
final class ServedVersions {
  private static final Pattern KUBE_VERSION = Pattern.compile("v(\\d+)(?:(alpha|beta)(\\d+))?");

  private ServedVersions() {}

  /** Whether objects of the kind must be rewritten for a request in this version. */
  static boolean rewrites(Kind kind, String version) {
    return kind.custom() && version != null && !version.equals(kind.version());
  }

  /** The object's JSON with {@code apiVersion} set to the one requested. */
  static byte[] rewrite(byte[] json, String apiVersion) {
    return render(json, apiVersion, null);
  }

  /**
   * The object's JSON as served: its apiVersion set (unless null) and the schema's defaults
   * applied (unless the schema is null).
   */
  static byte[] render(byte[] json, String apiVersion, com.fasterxml.jackson.databind.JsonNode defaults) {
    try {
      ObjectNode o = (ObjectNode) KubeJson.jsonMapper().readTree(json);
      if (apiVersion != null) {
        o.put("apiVersion", apiVersion);
      }
      if (defaults != null) {
        io.capstan.logschema.crd.CustomObjects.applyDefaults(defaults, o);
      }
      return KubeJson.jsonMapper().writeValueAsBytes(o);
    } catch (IOException e) {
      throw new UncheckedIOException("rendering a stored object", e);
    }
  }

  /** The deprecation warning of a request in this version of the kind, if the version is deprecated. */
  static Optional<String> deprecationWarning(Kind kind, String version) {
    return kind.details(version).filter(Kind.VersionDetails::deprecated).map(v -> {
      if (v.deprecationWarning() != null && !v.deprecationWarning().isEmpty()) {
        return v.deprecationWarning();
      }
      String msg = kind.group() + "/" + version + " " + kind.kind() + " is deprecated";
      List<String> current = kind.versions().stream().filter(d -> !d.deprecated())
          .map(Kind.VersionDetails::name).filter(kind::serves).sorted(KUBE_AWARE.reversed()).toList();
      return current.isEmpty() ? msg : msg + "; use " + kind.group() + "/" + current.get(0) + " " + kind.kind();
    });
  }

  /** The {@code Warning} header value for a text (RFC 7234 warn-code 299, agent "-"). */
  static String warningHeader(String text) {
    return "299 - \"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  /**
   * Kubernetes' version priority (CompareKubeAwareVersionStrings): GA above beta above alpha,
   * higher numbers first within each; versions not in that form after all of them, by name.
   */
  static final Comparator<String> KUBE_AWARE = (a, b) -> {
    long ka = rank(a);
    long kb = rank(b);
    if (ka != kb) {
      return Long.compare(ka, kb);
    }
    return ka == Long.MIN_VALUE ? b.compareTo(a) : 0;
  };

  private static long rank(String v) {
    Matcher m = KUBE_VERSION.matcher(v);
    if (!m.matches()) {
      return Long.MIN_VALUE;
    }
    long major = Long.parseLong(m.group(1));
    int stage = m.group(2) == null ? 2 : m.group(2).equals("beta") ? 1 : 0;
    long minor = m.group(3) == null ? 0 : Long.parseLong(m.group(3));
    return stage * 1_000_000_000_000L + major * 1_000_000L + minor;
  }
}
