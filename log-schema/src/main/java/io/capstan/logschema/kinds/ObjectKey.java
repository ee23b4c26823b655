package io.capstan.logschema.kinds;

/**
 * The key of an object on every object-keyed topic: {@code kind/namespace/name}, with an
 * empty namespace for cluster-scoped kinds ({@code Node//worker-1}).
 */
public record ObjectKey(String kind, String namespace, String name) {

  public ObjectKey {
    if (kind == null || kind.isEmpty() || kind.indexOf('/') >= 0) {
      throw new IllegalArgumentException("object key needs a kind without '/': " + kind);
    }
    namespace = namespace == null ? "" : namespace;
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("object key needs a name");
    }
  }

  public static ObjectKey parse(String key) {
    int a = key.indexOf('/');
    int b = a < 0 ? -1 : key.indexOf('/', a + 1);
    if (a <= 0 || b < 0) {
      throw new IllegalArgumentException("not an object key (kind/namespace/name): \"" + key + "\"");
    }
    return new ObjectKey(key.substring(0, a), key.substring(a + 1, b), key.substring(b + 1));
  }

  @Override
  public String toString() {
    return kind + "/" + namespace + "/" + name;
  }
}
