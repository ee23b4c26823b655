package io.capstan.logschema.apply;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Server-side apply and field ownership, with structured-merge-diff's semantics:
 *
 * <ul>
 *   <li>An apply merges the manager's configuration into the live object by the object's
 *       {@link Shape}; the manager's {@code Apply} entry becomes exactly the fields it applied.</li>
 *   <li>Applying a field another manager owns, to a different value than it has, is a conflict;
 *       with {@code force} the field moves to the applier. The same value shares the field.</li>
 *   <li>A field the manager applied before and leaves out now is removed, unless another manager
 *       owns it (then it stays, theirs).</li>
 *   <li>An update ({@link #update}) gives its manager the fields it changed and takes them from
 *       everyone else; a field it removed leaves every set.</li>
 * </ul>
 *
 * Fields the server owns are nobody's: apiVersion, kind and the system fields of metadata.
 * On a kind with a status subresource an apply to the object ignores status and an apply to
 * status takes only status, as kube-apiserver's reset fields.
 */
public final class ServerSideApply {
  /** Update entries kept before the oldest are folded into one, as kube-apiserver caps them. */
  public static final int MAX_UPDATE_ENTRIES = 10;
  public static final String ANCIENT_CHANGES = "ancient-changes";
  private static final Set<String> SERVER_METADATA = Set.of("name", "namespace", "uid", "resourceVersion",
      "generation", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink",
      "managedFields");
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private ServerSideApply() {}

  /**
   * Who writes, and where.
   *
   * @param subresource     "" for the object, "status" for the status subresource
   * @param statusSeparate  whether the kind has a status subresource (status is then not the object's)
   * @param time            RFC 3339 (seconds) of the write
   */
  public record Writer(String manager, String apiVersion, String subresource, boolean statusSeparate, String time) {}

  /** The applied object and its new ownership. */
  public record Applied(ObjectNode object, List<ManagedEntry> managed) {}

  /**
   * Applies {@code config} to {@code live} (null to create).
   *
   * @throws ApplyConflictException when {@code force} is off and fields owned by others would change
   */
  public static Applied apply(Shape shape, ObjectNode live, ObjectNode config, List<ManagedEntry> managed,
      Writer w, boolean force) {
    ObjectNode applied = relevant(config, w);
    FieldSet set = owned(ObjectFieldSets.of(shape, applied));
    ObjectNode base = live == null ? NODES.objectNode() : live;

    // Conflicts: fields this apply sets to another value than they have, owned by someone else.
    Map<ManagedEntry, List<String>> conflicts = new LinkedHashMap<>();
    // Those not taken over from client-side apply (kubectl's last-applied configuration, see below).
    Map<ManagedEntry, List<String>> refused = new LinkedHashMap<>();
    FieldSet lastApplied = null;
    List<ManagedEntry> others = new ArrayList<>();
    ManagedEntry previous = null;
    for (ManagedEntry e : managed) {
      if (e.is(w.manager(), ManagedEntry.APPLY, w.subresource())) {
        previous = e;
        continue;
      }
      others.add(e);
      if (e.manager().equals(w.manager())) {
        continue; // a manager does not conflict with its own updates
      }
      for (List<String> p : ObjectFieldSets.paths(set.intersect(e.fields()))) {
        if (changes(shape, base, applied, p)) {
          conflicts.computeIfAbsent(e, k -> new ArrayList<>()).add(PathElements.describe(p));
          if (lastApplied == null) {
            lastApplied = lastAppliedFields(shape, live, w);
          }
          if (!lastApplied.contains(p)) {
            refused.computeIfAbsent(e, k -> new ArrayList<>()).add(PathElements.describe(p));
          }
        }
      }
    }
    if (!refused.isEmpty() && !force) {
      throw ApplyConflictException.of(refused);
    }
    List<ManagedEntry> result = new ArrayList<>();
    FieldSet othersOwn = new FieldSet();
    for (ManagedEntry e : managed) {
      if (e == previous) {
        result.add(null); // this manager's place, filled below
        continue;
      }
      ManagedEntry kept = conflicts.containsKey(e) ? e.with(e.fields().minus(set)) : e;
      if (!kept.fields().isEmpty()) {
        result.add(kept);
        othersOwn.addAll(kept.fields());
      }
    }
    ObjectNode merged = (ObjectNode) merge(shape, base, applied);
    keepLastAppliedUpToDate(merged, config, w);
    if (previous != null) {
      // What the manager applied before and not now goes, unless someone else still owns it.
      FieldSet dropped = previous.fields().minus(set);
      // Parents first: an element removed whole takes its fields with it.
      for (List<String> p : ObjectFieldSets.paths(dropped)) {
        if (!ownsWithin(othersOwn, p)) {
          remove(shape, merged, p);
        }
      }
    }
    ManagedEntry mine = new ManagedEntry(w.manager(), ManagedEntry.APPLY, w.apiVersion(), w.time(), w.subresource(),
        set);
    int at = result.indexOf(null);
    if (at >= 0) {
      result.set(at, mine);
    } else {
      result.add(mine);
    }
    return new Applied(merged, capped(result));
  }

  /**
   * The ownership after an update by {@code w} from {@code before} (null for a create) to
   * {@code after}: the writer's Update entry gains what changed, others lose it; removed fields
   * leave every entry. Returns {@code managed} itself when nothing changes hands.
   */
  public static List<ManagedEntry> update(Shape shape, JsonNode before, JsonNode after, List<ManagedEntry> managed,
      Writer w) {
    FieldSet afterSet = owned(ObjectFieldSets.of(shape, after));
    FieldSet changed;
    FieldSet removed;
    if (before == null) {
      changed = afterSet;
      removed = new FieldSet();
    } else {
      FieldSet beforeSet = owned(ObjectFieldSets.of(shape, before));
      removed = beforeSet.minus(afterSet);
      changed = new FieldSet();
      for (List<String> p : ObjectFieldSets.paths(afterSet)) {
        if (!beforeSet.contains(p) || changes(shape, before, after, p)) {
          changed.add(p);
        }
      }
    }
    return update(changed, removed, managed, w);
  }

  /**
   * {@link #update} of the fields an update changed and removed, as {@link RecordFieldSets}
   * finds them in the records (the server's own fields are left out here).
   */
  public static List<ManagedEntry> update(FieldSet changedFields, FieldSet removedFields, List<ManagedEntry> managed,
      Writer w) {
    FieldSet changed = owned(changedFields);
    FieldSet removed = owned(removedFields);
    if (changed.isEmpty() && removed.isEmpty()) {
      return managed;
    }
    List<ManagedEntry> result = new ArrayList<>();
    boolean found = false;
    for (ManagedEntry e : managed) {
      if (e.is(w.manager(), ManagedEntry.UPDATE, w.subresource())) {
        found = true;
        result.add(new ManagedEntry(w.manager(), ManagedEntry.UPDATE, w.apiVersion(), w.time(), w.subresource(),
            e.fields().union(changed).minus(removed)));
        continue;
      }
      FieldSet left = e.fields().minus(changed).minus(removed);
      if (!left.isEmpty()) {
        result.add(left.equals(e.fields()) ? e : e.with(left));
      }
    }
    if (!found && !changed.isEmpty()) {
      result.add(new ManagedEntry(w.manager(), ManagedEntry.UPDATE, w.apiVersion(), w.time(), w.subresource(),
          changed));
    }
    result.removeIf(e -> e.fields().isEmpty());
    return capped(result);
  }

  /** The part of a configuration an apply takes: status alone for the status subresource, else not status. */
  private static ObjectNode relevant(ObjectNode config, Writer w) {
    ObjectNode c = config.deepCopy();
    if (c.get("metadata") instanceof ObjectNode meta) {
      meta.remove("managedFields");
      meta.remove("resourceVersion");
      meta.remove("uid");
      meta.remove("creationTimestamp");
      meta.remove("generation");
    }
    if (w.statusSeparate()) {
      if (w.subresource().equals("status")) {
        ObjectNode only = NODES.objectNode();
        for (String keep : List.of("apiVersion", "kind", "metadata", "status")) {
          if (c.has(keep)) {
            only.set(keep, c.get(keep));
          }
        }
        if (only.get("metadata") instanceof ObjectNode meta) {
          meta.retain("name", "namespace");
        }
        return only;
      }
      c.remove("status");
    }
    return c;
  }

  /** A set without the fields the server owns. */
  private static FieldSet owned(FieldSet set) {
    set.children().remove(PathElements.field("apiVersion"));
    set.children().remove(PathElements.field("kind"));
    FieldSet meta = set.get(PathElements.field("metadata"));
    if (meta != null) {
      SERVER_METADATA.forEach(f -> meta.children().remove(PathElements.field(f)));
      if (meta.children().isEmpty()) {
        set.children().remove(PathElements.field("metadata"));
      }
    }
    return set;
  }

  /** The manager of {@code kubectl apply --server-side}, the one the client-side apply migration is for. */
  public static final String KUBECTL = "kubectl";
  /** Where {@code kubectl apply} (client-side) keeps the configuration it applied last. */
  public static final String LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

  /**
   * The fields {@code kubectl apply --server-side} may take over without a conflict, as
   * kube-apiserver's lastAppliedManager allows them: those of the live object's last-applied
   * configuration (client-side apply's) that still have its values in the live object. None for
   * other managers, without the annotation, or when it is of another apiVersion.
   */
  static FieldSet lastAppliedFields(Shape shape, ObjectNode live, Writer w) {
    FieldSet allowed = new FieldSet();
    if (live == null || !KUBECTL.equals(w.manager())) {
      return allowed;
    }
    String text = live.path("metadata").path("annotations").path(LAST_APPLIED).asText("");
    if (text.isEmpty()) {
      return allowed;
    }
    JsonNode last;
    try {
      last = ObjectFieldSets.parse(text);
    } catch (IllegalArgumentException e) {
      return allowed;
    }
    if (!(last instanceof ObjectNode lastObject) || !w.apiVersion().equals(last.path("apiVersion").asText())) {
      return allowed;
    }
    ObjectNode relevant = relevant(lastObject, w);
    for (List<String> p : ObjectFieldSets.paths(owned(ObjectFieldSets.of(shape, relevant)))) {
      JsonNode inLive = ObjectFieldSets.valueAt(shape, live, p);
      if (inLive != null && ObjectFieldSets.valueAt(shape, relevant, p) != null && !changes(shape, live, relevant, p)) {
        allowed.add(p);
      }
    }
    return allowed;
  }

  /**
   * As kube-apiserver's lastAppliedUpdater: an apply by kubectl's server-side apply to an object
   * that carries client-side apply's annotation sets it to this configuration, so that a later
   * client-side apply still computes its patch from what was applied last.
   */
  private static void keepLastAppliedUpToDate(ObjectNode merged, ObjectNode config, Writer w) {
    if (!KUBECTL.equals(w.manager()) || !(merged.path("metadata").path("annotations") instanceof ObjectNode annotations)
        || annotations.path(LAST_APPLIED).asText("").isEmpty()) {
      return;
    }
    ObjectNode last = config.deepCopy();
    if (last.path("metadata").path("annotations") instanceof ObjectNode own) {
      own.remove(LAST_APPLIED);
    }
    annotations.put(LAST_APPLIED, last.toString());
  }

  /** Whether {@code to} has another value than {@code from} at a leaf path (elements themselves never differ). */
  private static boolean changes(Shape shape, JsonNode from, JsonNode to, List<String> path) {
    char last = path.get(path.size() - 1).charAt(0);
    if (last == 'k' || last == 'v') {
      return false;
    }
    JsonNode was = ObjectFieldSets.valueAt(shape, from, path);
    JsonNode now = ObjectFieldSets.valueAt(shape, to, path);
    if (was == null) {
      return false; // nothing there to take from anyone
    }
    if (now == null) {
      return true;
    }
    if (now.isObject() && now.size() == 0 && was.isObject()) {
      return false; // an empty struct merges, it does not replace
    }
    return !was.equals(ObjectFieldSets.SAME, now);
  }

  private static boolean ownsWithin(FieldSet set, List<String> path) {
    FieldSet at = set;
    for (String e : path) {
      at = at.get(e);
      if (at == null) {
        return false;
      }
    }
    return !at.isEmpty();
  }

  /** Merges {@code config} into a copy of {@code live} by the shape. */
  static JsonNode merge(Shape shape, JsonNode live, JsonNode config) {
    Shape.Form form = shape.form(config);
    switch (form) {
      case STRUCT -> {
        if (live == null || !live.isObject()) {
          return withoutNulls(config);
        }
        ObjectNode out = ((ObjectNode) live).deepCopy();
        for (Iterator<Map.Entry<String, JsonNode>> it = config.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> m = it.next();
          if (m.getValue().isNull()) {
            continue;
          }
          out.set(m.getKey(), merge(shape.member(m.getKey()), out.get(m.getKey()), m.getValue()));
        }
        return out;
      }
      case LIST_MAP -> {
        if (live == null || !live.isArray()) {
          return withoutNulls(config);
        }
        ArrayNode out = ((ArrayNode) live).deepCopy();
        for (JsonNode e : config) {
          if (!e.isObject()) {
            out.add(e.deepCopy());
            continue;
          }
          int at = ObjectFieldSets.indexOf(out, PathElements.key(e, shape), shape);
          if (at < 0) {
            out.add(withoutNulls(e));
          } else {
            out.set(at, merge(shape.element(), out.get(at), e));
          }
        }
        return out;
      }
      case LIST_SET -> {
        if (live == null || !live.isArray()) {
          return config.deepCopy();
        }
        ArrayNode out = ((ArrayNode) live).deepCopy();
        for (JsonNode v : config) {
          boolean has = false;
          for (JsonNode l : out) {
            has |= l.equals(ObjectFieldSets.SAME, v);
          }
          if (!has) {
            out.add(v.deepCopy());
          }
        }
        return out;
      }
      default -> {
        return config.deepCopy();
      }
    }
  }

  private static JsonNode withoutNulls(JsonNode node) {
    JsonNode copy = node.deepCopy();
    if (copy instanceof ObjectNode o) {
      List<String> nulls = new ArrayList<>();
      o.fields().forEachRemaining(m -> {
        if (m.getValue().isNull()) {
          nulls.add(m.getKey());
        }
      });
      o.remove(nulls);
    }
    return copy;
  }

  /** Removes the value at {@code path} from {@code root}, if there. */
  static void remove(Shape shape, JsonNode root, List<String> path) {
    JsonNode parent = ObjectFieldSets.valueAt(shape, root, path.subList(0, path.size() - 1));
    Shape parentShape = shapeAt(shape, path.subList(0, path.size() - 1));
    if (parent == null) {
      return;
    }
    String last = path.get(path.size() - 1);
    String rest = last.substring(2);
    switch (last.charAt(0)) {
      case 'f' -> {
        if (parent instanceof ObjectNode o) {
          o.remove(rest);
        }
      }
      case 'k' -> {
        if (parent instanceof ArrayNode a) {
          int i = ObjectFieldSets.indexOf(a, last, parentShape);
          if (i >= 0) {
            a.remove(i);
          }
        }
      }
      case 'v' -> {
        if (parent instanceof ArrayNode a) {
          JsonNode wanted = ObjectFieldSets.parse(rest);
          for (int i = a.size() - 1; i >= 0; i--) {
            if (a.get(i).equals(ObjectFieldSets.SAME, wanted)) {
              a.remove(i);
            }
          }
        }
      }
      case 'i' -> {
        if (parent instanceof ArrayNode a && Integer.parseInt(rest) < a.size()) {
          a.remove(Integer.parseInt(rest));
        }
      }
      default -> { }
    }
  }

  private static Shape shapeAt(Shape shape, List<String> path) {
    Shape s = shape;
    for (String e : path) {
      s = e.charAt(0) == 'f' ? s.member(e.substring(2)) : s.element();
    }
    return s;
  }

  /** At most {@link #MAX_UPDATE_ENTRIES} Update entries: the oldest fold into "ancient-changes". */
  static List<ManagedEntry> capped(List<ManagedEntry> entries) {
    List<ManagedEntry> updates = new ArrayList<>();
    for (ManagedEntry e : entries) {
      if (e.operation().equals(ManagedEntry.UPDATE)) {
        updates.add(e);
      }
    }
    if (updates.size() <= MAX_UPDATE_ENTRIES) {
      return entries;
    }
    updates.sort(Comparator.comparing(e -> e.time() == null ? "" : e.time()));
    List<ManagedEntry> fold = updates.subList(0, updates.size() - MAX_UPDATE_ENTRIES + 1);
    FieldSet ancient = new FieldSet();
    String newest = null;
    for (ManagedEntry e : fold) {
      ancient.addAll(e.fields());
      newest = e.time();
    }
    List<ManagedEntry> out = new ArrayList<>();
    ManagedEntry folded = null;
    for (ManagedEntry e : entries) {
      if (fold.contains(e)) {
        if (folded == null) {
          folded = new ManagedEntry(ANCIENT_CHANGES, ManagedEntry.UPDATE, e.apiVersion(), newest, "", ancient);
          out.add(folded);
        }
      } else {
        out.add(e);
      }
    }
    return out;
  }
}
