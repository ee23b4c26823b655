package io.capstan.logschema.openapi;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.logschema.kinds.Conversions;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The OpenAPI v3 documents of every group-version Capstan serves, generated once from the
 * kinds' Avro schemas. Immutable and thread-safe.
 *
 * <ul>
 *   <li>{@link #index()}: the {@code /openapi/v3} body, {@code {"paths": {"api/v1":
 *       {"serverRelativeURL": "/openapi/v3/api/v1?hash=..."}, "apis/apps/v1": ...}}}.</li>
 *   <li>{@link #document(String)}: a group-version document's JSON bytes; {@link #hash(String)}
 *       its SHA-512 (upper-case hex, as kube-apiserver), used as ETag and URL hash.</li>
 * </ul>
 */
public final class OpenApiDocuments {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

  /** A served document: its path in the index (e.g. {@code apis/apps/v1}), JSON bytes and hash. */
  public record Document(String path, ObjectNode json, byte[] bytes, String hash) {
    public String serverRelativeUrl() {
      return "/openapi/v3/" + path + "?hash=" + hash;
    }
  }

  private final Map<String, Document> documents;
  private final byte[] indexBytes;

  private OpenApiDocuments(Map<String, Document> documents) {
    this.documents = documents;
    try {
      this.indexBytes = JSON.writeValueAsBytes(index());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The documents of every kind in {@link Kinds#all()}. */
  public static OpenApiDocuments generate() {
    return generate(Kinds.all());
  }

  public static OpenApiDocuments generate(List<Kind> kinds) {
    return generate(kinds, Map.of());
  }

  /**
   * The documents of {@code kinds}, and {@code endpoints}: documents of group-versions that serve
   * operations but no kinds (by their index path, e.g. {@code apis/console.capstan.io/v1}), made
   * by whoever serves those operations. A group-version that has kinds too keeps the kinds' document.
   */
  public static OpenApiDocuments generate(List<Kind> kinds, Map<String, ObjectNode> endpoints) {
    SchemaNames names = new SchemaNames(kinds);
    Map<String, List<Kind>> byPath = new TreeMap<>();
    for (Kind kind : kinds) {
      for (Kind k : perServedVersion(kind)) {
        byPath.computeIfAbsent(pathOf(k.group(), k.version()), p -> new java.util.ArrayList<>()).add(k);
      }
    }
    Map<String, ObjectNode> jsonByPath = new TreeMap<>();
    byPath.forEach((path, served) -> jsonByPath.put(path, document(names, served)));
    endpoints.forEach(jsonByPath::putIfAbsent);
    Map<String, Document> docs = new LinkedHashMap<>();
    for (Map.Entry<String, ObjectNode> e : jsonByPath.entrySet()) {
      ObjectNode json = e.getValue();
      try {
        byte[] bytes = JSON.writeValueAsBytes(json);
        docs.put(e.getKey(), new Document(e.getKey(), json, bytes, sha512(bytes)));
      } catch (JsonProcessingException ex) {
        throw new IllegalStateException(ex);
      }
    }
    return new OpenApiDocuments(docs);
  }

  /**
   * A custom kind once per served version, each with that version's schema; a built-in kind in its
   * storage version, and in each version it is converted to with that version's own schema.
   */
  static List<Kind> perServedVersion(Kind k) {
    if (!k.custom()) {
      List<Kind> out = new java.util.ArrayList<>(List.of(k));
      for (String v : k.servedVersions()) {
        Conversions.of(k, v).ifPresent(conversion -> out.add(new Kind(k.kind(), k.group(), v, k.plural(),
            k.namespaced(), k.shortNames(), k.categories(), k.schema(), k.subresources(), k.singular(),
            k.servedVersions(), conversion.openApiSchema(), k.origin(), k.versions())));
      }
      return out;
    }
    if (k.versions().isEmpty()) {
      return List.of(k);
    }
    List<Kind> out = new java.util.ArrayList<>();
    for (String v : k.servedVersions()) {
      var schema = k.details(v).map(Kind.VersionDetails::openApiSchema).orElse(k.openApiSchema());
      out.add(new Kind(k.kind(), k.group(), v, k.plural(), k.namespaced(), k.shortNames(), k.categories(), k.schema(),
          k.subresources(), k.singular(), k.servedVersions(), schema, k.origin(), k.versions()));
    }
    return out;
  }

  /** {@code api/v1} for the core group, {@code apis/<group>/<version>} otherwise (kubectl's lookup key). */
  public static String pathOf(String group, String version) {
    return group.isEmpty() ? "api/" + version : "apis/" + group + "/" + version;
  }

  public Optional<Document> document(String path) {
    return Optional.ofNullable(documents.get(path));
  }

  public List<String> paths() {
    return List.copyOf(documents.keySet());
  }

  public ObjectNode index() {
    ObjectNode out = NODES.objectNode();
    ObjectNode paths = out.putObject("paths");
    documents.values().forEach(d -> paths.putObject(d.path()).put("serverRelativeURL", d.serverRelativeUrl()));
    return out;
  }

  public byte[] indexBytes() {
    return indexBytes.clone();
  }

  private static ObjectNode document(SchemaNames names, List<Kind> kinds) {
    ComponentSchemas components = new ComponentSchemas(names);
    kinds.forEach(components::addKind);
    ObjectNode doc = NODES.objectNode();
    doc.put("openapi", "3.0.0");
    Kind first = kinds.get(0);
    doc.putObject("info").put("title", "Capstan").put("version", first.apiVersion());
    ObjectNode paths = doc.putObject("paths");
    for (Kind k : kinds) {
      OperationPaths.add(paths, k);
    }
    ObjectNode schemas = doc.putObject("components").putObject("schemas");
    components.schemas().forEach(schemas::set);
    return doc;
  }

  private static String sha512(byte[] bytes) {
    try {
      return HexFormat.of().withUpperCase().formatHex(MessageDigest.getInstance("SHA-512").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-512 is required of every JVM", e);
    }
  }
}
