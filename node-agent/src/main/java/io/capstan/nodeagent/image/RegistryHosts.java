package io.capstan.nodeagent.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.capstan.nodeagent.runtime.RegistryCredentials;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Where a node pulls each registry's images from, in the {@code registries.yaml} format of k3s
 * (and containerd's mirrors): {@code mirrors.<registry>.endpoint} lists addresses tried in order
 * before the registry itself, {@code configs.<host>.auth} gives a user and password for a host
 * (used when a pod's pull secrets give none). An endpoint written {@code http://…} is spoken to
 * over plain HTTP; without a scheme, HTTPS (loopback hosts: HTTP).
 *
 * <pre>
 * mirrors:
 *   docker.io:
 *     endpoint: ["http://127.0.0.1:5000"]
 * configs:
 *   "127.0.0.1:5000":
 *     auth: {username: puller, password: s3cret}
 * </pre>
 */
public record RegistryHosts(Map<String, List<String>> mirrors, Set<String> plainHttp,
    Map<String, RegistryCredentials> auth) {
  /** The file's name in a node agent's data dir. */
  public static final String FILE = "registries.yaml";

  public RegistryHosts {
    mirrors = Map.copyOf(mirrors);
    plainHttp = Set.copyOf(plainHttp);
    auth = Map.copyOf(auth);
  }

  public static RegistryHosts none() {
    return new RegistryHosts(Map.of(), Set.of(), Map.of());
  }

  /** The file's settings, or none when there is no file; a file that cannot be read is an error naming what is wrong. */
  public static RegistryHosts load(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      return none();
    }
    JsonNode doc;
    try {
      doc = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
    } catch (IOException e) {
      throw new IOException(file + " is not valid YAML: " + e.getMessage(), e);
    }
    if (doc == null || doc.isMissingNode() || doc.isNull()) {
      return none();
    }
    Map<String, List<String>> mirrors = new LinkedHashMap<>();
    Set<String> plain = new HashSet<>();
    for (var e : iterable(doc.path("mirrors"))) {
      String registry = PullSecrets.host(e.getKey());
      JsonNode endpoints = e.getValue().path("endpoint");
      if (!endpoints.isArray()) {
        throw new IOException(file + ": mirrors." + e.getKey() + ".endpoint must be a list of addresses");
      }
      List<String> hosts = new ArrayList<>();
      for (JsonNode ep : endpoints) {
        String address = ep.asText("");
        URI uri = URI.create(address.contains("://") ? address : "https://" + address);
        if (uri.getHost() == null || !List.of("http", "https").contains(uri.getScheme())) {
          throw new IOException(file + ": mirrors." + e.getKey() + " has the endpoint \"" + address
              + "\", which is not an http(s) address");
        }
        String host = uri.getPort() < 0 ? uri.getHost() : uri.getHost() + ":" + uri.getPort();
        if (uri.getScheme().equals("http")) {
          plain.add(host);
        }
        hosts.add(host);
      }
      mirrors.put(registry, hosts);
    }
    Map<String, RegistryCredentials> auth = new LinkedHashMap<>();
    for (var e : iterable(doc.path("configs"))) {
      JsonNode a = e.getValue().path("auth");
      if (a.hasNonNull("username")) {
        auth.put(PullSecrets.host(e.getKey()), new RegistryCredentials(a.get("username").asText(),
            a.path("password").asText("")));
      }
    }
    return new RegistryHosts(mirrors, plain, auth);
  }

  /** Where to ask for an image of {@code registry}: its mirrors in order, then itself. */
  public List<String> endpoints(String registry) {
    List<String> out = new ArrayList<>(mirrors.getOrDefault(registry, List.of()));
    if (!out.contains(registry)) {
      out.add(registry);
    }
    return out;
  }

  public Optional<RegistryCredentials> credentials(String host) {
    return Optional.ofNullable(auth.get(host));
  }

  private static Iterable<Map.Entry<String, JsonNode>> iterable(JsonNode n) {
    return n::fields;
  }
}
