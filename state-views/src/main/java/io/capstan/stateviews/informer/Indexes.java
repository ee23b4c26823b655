package io.capstan.stateviews.informer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.IndexedRecord;

/**
 * The built-in indexes, by the names informers register them under. Callers add their own
 * with {@link Informer#addIndex}, e.g. {@code Indexes.field("spec.serviceAccountName")}.
 */
public final class Indexes {
  /** Objects by {@code metadata.namespace} (empty for cluster-scoped kinds); every informer has it. */
  public static final String NAMESPACE = "namespace";
  /** Objects by each of their labels as {@code key=value}; see {@link #label(String, String)}. */
  public static final String LABEL = "label";
  /** Objects by the uid of each owner in {@code metadata.ownerReferences} (garbage collector, controllers). */
  public static final String OWNER_UID = "owner-uid";
  /**
   * Objects with no controller owner, by namespace: what a controller may adopt. With
   * {@link #OWNER_UID} it lets a ReplicaSet look at its own pods and the orphans of its namespace
   * instead of every pod there (kube-controller-manager's controller-uid index does the same).
   */
  public static final String ORPHANS = "orphans";
  /** Pods by {@code spec.nodeName} (node agents, scheduler); unbound pods are not in it. */
  public static final String NODE_NAME = "spec.nodeName";

  private static final String[] META_NAMESPACE = {"metadata", "namespace"};
  private static final String[] META_LABELS = {"metadata", "labels"};
  private static final String[] META_OWNERS = {"metadata", "ownerReferences"};
  private static final String[] UID = {"uid"};
  private static final String[] CONTROLLER = {"controller"};

  private Indexes() {}

  public static IndexFunction<IndexedRecord> namespace() {
    return o -> {
      String ns = ObjectFields.string(o, META_NAMESPACE);
      return List.of(ns == null ? "" : ns);
    };
  }

  public static IndexFunction<IndexedRecord> labels() {
    return o -> {
      Map<? extends CharSequence, ? extends CharSequence> labels = ObjectFields.map(o, META_LABELS);
      List<String> out = new ArrayList<>(labels.size());
      labels.forEach((k, v) -> out.add(label(k.toString(), v == null ? "" : v.toString())));
      return out;
    };
  }

  /** The value an object with label {@code key: value} has in the {@link #LABEL} index. */
  public static String label(String key, String value) {
    return key + "=" + value;
  }

  public static IndexFunction<IndexedRecord> ownerUids() {
    return o -> {
      List<?> owners = ObjectFields.list(o, META_OWNERS);
      List<String> out = new ArrayList<>(owners.size());
      for (Object ref : owners) {
        if (ref instanceof IndexedRecord r) {
          String uid = ObjectFields.string(r, UID);
          if (uid != null && !uid.isEmpty()) {
            out.add(uid);
          }
        }
      }
      return out;
    };
  }

  /** The namespace of an object that has no owner reference with {@code controller: true}. */
  public static IndexFunction<IndexedRecord> orphans() {
    return o -> {
      for (Object ref : ObjectFields.list(o, META_OWNERS)) {
        if (ref instanceof IndexedRecord r && Boolean.TRUE.equals(ObjectFields.at(r, CONTROLLER))) {
          return List.of();
        }
      }
      String ns = ObjectFields.string(o, META_NAMESPACE);
      return List.of(ns == null ? "" : ns);
    };
  }

  /** Pods by node; the same as {@code field("spec.nodeName")}. */
  public static IndexFunction<IndexedRecord> nodeName() {
    return field(NODE_NAME);
  }

  /**
   * Objects by the value of a field path: a scalar gives one value, a list of scalars one per
   * element; an absent or empty field leaves the object out of the index.
   */
  public static IndexFunction<IndexedRecord> field(String dottedPath) {
    String[] path = ObjectFields.path(dottedPath);
    return o -> ObjectFields.strings(ObjectFields.at(o, path)).stream().filter(s -> !s.isEmpty()).toList();
  }
}
