package io.capstan.controllers.gc;

import io.capstan.api.ObjectMeta;
import io.capstan.api.OwnerReference;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.Indexes;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.SharedInformers;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.specific.SpecificRecord;

/**
 * The ownership graph, read straight from the informers: an object's owners are its
 * ownerReferences, its dependents are the objects of any kind indexed under its uid in the
 * owner-uid index (the garbage collector's GraphBuilder keeps this graph by hand; the index
 * keeps it for us, consistent with the caches).
 */
public final class OwnerGraph {
  private final Map<String, Informer<SpecificRecord>> byKind = new LinkedHashMap<>();

  public OwnerGraph(SharedInformers informers, List<Kind> kinds) {
    for (Kind k : kinds) {
      byKind.put(k.kind(), informers.informerFor(k, SpecificRecord.class));
    }
  }

  /** Every built-in kind except Events (which are never owners and only ever expire); custom kinds: not yet (issue 14). */
  public static List<Kind> defaultKinds() {
    return Kinds.builtIn().stream().filter(k -> !k.kind().equals(Kinds.EVENT.kind())).toList();
  }

  public Map<String, Informer<SpecificRecord>> informers() {
    return byKind;
  }

  public Optional<Informer<SpecificRecord>> informer(String kind) {
    return Optional.ofNullable(byKind.get(kind));
  }

  public Optional<SpecificRecord> get(String key) {
    String kind = key.substring(0, key.indexOf('/'));
    Informer<SpecificRecord> i = byKind.get(kind);
    return i == null ? Optional.empty() : i.get(key);
  }

  /** The objects of every kind that name {@code uid} among their owners. */
  public List<SpecificRecord> dependents(String uid) {
    List<SpecificRecord> out = new ArrayList<>();
    for (Informer<SpecificRecord> i : byKind.values()) {
      out.addAll(i.byIndex(Indexes.OWNER_UID, uid));
    }
    return out;
  }

  public static ObjectMeta meta(SpecificRecord o) {
    return (ObjectMeta) o.get(o.getSchema().getField("metadata").pos());
  }

  public static String key(SpecificRecord o) {
    ObjectMeta m = meta(o);
    return Kinds.bySchema(o.getSchema()).map(Kind::kind).orElse(o.getSchema().getName()) + "/" + (m.getNamespace() == null ? "" : m.getNamespace()) + "/" + m.getName();
  }

  /** The key an owner reference points at: owners live in the dependent's namespace, or are cluster-scoped. */
  public String ownerKey(OwnerReference ref, String dependentNamespace) {
    Optional<Kind> kind = Kinds.byName(ref.getKind());
    String ns = kind.map(k -> k.namespaced() ? dependentNamespace : "").orElse(dependentNamespace);
    return ref.getKind() + "/" + (ns == null ? "" : ns) + "/" + ref.getName();
  }

  public static List<OwnerReference> owners(SpecificRecord o) {
    List<OwnerReference> refs = meta(o).getOwnerReferences();
    return refs == null ? List.of() : refs;
  }
}
