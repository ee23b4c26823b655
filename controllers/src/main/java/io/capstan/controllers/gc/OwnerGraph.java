package io.capstan.controllers.gc;

import io.capstan.api.ObjectMeta;
import io.capstan.api.OwnerReference;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.Indexes;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.SharedInformers;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificData;

/**
 * The ownership graph, read straight from the informers: an object's owners are its
 * ownerReferences, its dependents are the objects of any kind indexed under its uid in the
 * owner-uid index (the garbage collector's GraphBuilder keeps this graph by hand; the index
 * keeps it for us, consistent with the caches).
 */
public final class OwnerGraph {
  private final Map<String, Informer<IndexedRecord>> byKind = new ConcurrentHashMap<>();

  public OwnerGraph(SharedInformers informers, List<Kind> kinds) {
    for (Kind k : kinds) {
      byKind.put(k.kind(), informers.informerFor(k, IndexedRecord.class));
    }
  }

  /**
   * Every built-in kind except Events (which are never owners and only ever expire). Custom kinds
   * join as they are registered ({@link #add}).
   */
  public static List<Kind> defaultKinds() {
    return Kinds.builtIn().stream().filter(k -> !k.kind().equals(Kinds.EVENT.kind())).toList();
  }

  /** A kind's synced informer joins the graph (a custom kind, once registered). */
  public void add(Kind kind, Informer<IndexedRecord> informer) {
    byKind.putIfAbsent(kind.kind(), informer);
  }

  /** A deep copy to change and write back (built-in kinds stay their generated classes, custom ones generic). */
  public static <T extends IndexedRecord> T copy(T record) {
    @SuppressWarnings("unchecked")
    T c = (T) SpecificData.get().deepCopy(record.getSchema(), record);
    return c;
  }

  public Map<String, Informer<IndexedRecord>> informers() {
    return byKind;
  }

  public Optional<Informer<IndexedRecord>> informer(String kind) {
    return Optional.ofNullable(byKind.get(kind));
  }

  public Optional<IndexedRecord> get(String key) {
    String kind = key.substring(0, key.indexOf('/'));
    Informer<IndexedRecord> i = byKind.get(kind);
    return i == null ? Optional.empty() : i.get(key);
  }

  /** The objects of every kind that name {@code uid} among their owners. */
  public List<IndexedRecord> dependents(String uid) {
    List<IndexedRecord> out = new ArrayList<>();
    for (Informer<IndexedRecord> i : byKind.values()) {
      out.addAll(i.byIndex(Indexes.OWNER_UID, uid));
    }
    return out;
  }

  public static ObjectMeta meta(IndexedRecord o) {
    return (ObjectMeta) o.get(o.getSchema().getField("metadata").pos());
  }

  public static String key(IndexedRecord o) {
    ObjectMeta m = meta(o);
    return Kinds.bySchema(o.getSchema()).map(Kind::kind).orElse(o.getSchema().getName()) + "/" + (m.getNamespace() == null ? "" : m.getNamespace()) + "/" + m.getName();
  }

  /** The key an owner reference points at: owners live in the dependent's namespace, or are cluster-scoped. */
  public String ownerKey(OwnerReference ref, String dependentNamespace) {
    Optional<Kind> kind = Kinds.byName(ref.getKind());
    String ns = kind.map(k -> k.namespaced() ? dependentNamespace : "").orElse(dependentNamespace);
    return ref.getKind() + "/" + (ns == null ? "" : ns) + "/" + ref.getName();
  }

  public static List<OwnerReference> owners(IndexedRecord o) {
    List<OwnerReference> refs = meta(o).getOwnerReferences();
    return refs == null ? List.of() : refs;
  }
}
