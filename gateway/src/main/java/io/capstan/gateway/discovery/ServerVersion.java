package io.capstan.gateway.discovery;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What {@code /version} reports. The major/minor are the Kubernetes API level Capstan speaks,
 * so kubectl's version-skew warning compares against something meaningful.
 */
public record ServerVersion(String major, String minor, String gitVersion, String platform) {
  public static final ServerVersion CURRENT = new ServerVersion("1", "32", "v1.32.0+capstan-0.1.0",
      System.getProperty("os.name", "linux").toLowerCase(java.util.Locale.ROOT) + "/"
          + System.getProperty("os.arch", "amd64").replace("x86_64", "amd64"));

  public ObjectNode toJson() {
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    out.put("major", major);
    out.put("minor", minor);
    out.put("gitVersion", gitVersion);
    out.put("gitCommit", "");
    out.put("gitTreeState", "clean");
    out.put("buildDate", "");
    out.put("goVersion", "java" + Runtime.version().feature());
    out.put("compiler", "javac");
    out.put("platform", platform);
    return out;
  }
}
