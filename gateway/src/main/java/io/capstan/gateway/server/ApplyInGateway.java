package io.capstan.gateway.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.api.ObjectMeta;
import io.capstan.gateway.errors.ApiException;
import io.capstan.gateway.errors.ApiStatus;
import io.capstan.logschema.apply.ApplyConflictException;
import io.capstan.logschema.apply.ManagedEntry;
import io.capstan.logschema.apply.ManagedFields;
import io.capstan.logschema.apply.ServerSideApply;
import io.capstan.logschema.apply.Shapes;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.apache.avro.generic.IndexedRecord;

/**
 * Server-side apply merged in the gateway, for the kinds the single writer cannot merge: Secrets,
 * whose values reach the command processor sealed (it holds no keys, so it could not compare an
 * applied value with the stored one, and an applied configuration in a command would carry them
 * in plaintext), and RBAC objects, whose escalation check here needs the whole object before it
 * is sent. As kube-apiserver does for every kind: the stored object (values open) is merged and
 * conflict-checked here, and written as an ordinary create or update at its resourceVersion with
 * the new {@code managedFields} in it; the command client seals the values on the way, and a
 * write in between is a Conflict and another read. The {@code scale} subresource's applies are
 * merged here too: the replicas a Scale names are applied to the workload under their own entry.
 */
final class ApplyInGateway {
  /** The RBAC kinds (WriteAdmission's escalation check needs the whole object). */
  private static final Set<String> RBAC_KINDS = Set.of("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding");

  private ApplyInGateway() {}

  /** Whether an apply of {@code kind} is merged here rather than by the command processor. */
  static boolean mergesHere(Kind kind) {
    return kind == Kinds.SECRET
        || (RBAC_KINDS.contains(kind.kind()) && kind.group().equals("rbac.authorization.k8s.io"));
  }

  /**
   * The merged object as JSON (its {@code metadata.managedFields} left out: see {@link #own}) and
   * the ownership after it.
   *
   * @param stored the object as stored, values open; null when the apply creates it
   * @param subresource "" for the object, "scale" for its replicas applied through its Scale
   * @throws ApiException 409 Conflict naming each field another manager owns with another value
   */
  static Merged merge(Kind kind, IndexedRecord stored, String namespace, String name, ObjectNode config,
      String manager, String subresource, boolean force, Instant now) {
    ObjectNode live = stored == null ? null : KubeJson.toJson(stored);
    List<ManagedEntry> managed;
    try {
      managed = stored == null ? List.of() : ManagedFields.read(meta(stored));
    } catch (RuntimeException e) {
      managed = List.of(); // unreadable ownership is nobody's, as in the processor
    }
    ServerSideApply.Writer writer = new ServerSideApply.Writer(manager, kind.apiVersion(), subresource,
        kind.hasStatus(), ManagedFields.time(now));
    ServerSideApply.Applied applied;
    try {
      applied = ServerSideApply.apply(Shapes.of(kind), live, config, managed, writer, force);
    } catch (ApplyConflictException e) {
      throw new ApiException(conflict(kind, name, e));
    }
    ObjectNode merged = applied.object();
    ObjectNode metadata = merged.with("metadata");
    metadata.put("name", name);
    if (kind.namespaced()) {
      metadata.put("namespace", namespace);
    }
    metadata.remove("managedFields");
    metadata.remove("resourceVersion");
    if (stored != null) {
      metadata.put("resourceVersion", meta(stored).getResourceVersion());
    }
    merged.put("apiVersion", kind.apiVersion());
    merged.put("kind", kind.kind());
    return new Merged(merged, applied.managed());
  }

  /** The merge of one apply: the object to write and the ownership to write with it. */
  record Merged(ObjectNode object, List<ManagedEntry> managed) {
    /** Sets the ownership on the object decoded from {@link #object}. */
    void own(IndexedRecord decoded) {
      ManagedFields.write(meta(decoded), managed);
    }
  }

  /** 409 as kube-apiserver's NewApplyConflict: one FieldManagerConflict cause per field. */
  static ApiStatus conflict(Kind kind, String name, ApplyConflictException e) {
    List<ApiStatus.Cause> causes = e.conflicts().stream()
        .map(c -> new ApiStatus.Cause("FieldManagerConflict", "conflict with " + c.manager(), c.path()))
        .toList();
    return new ApiStatus(409, "Conflict", e.getMessage(),
        new ApiStatus.Details(name, kind.group(), kind.plural(), causes, null));
  }

  private static ObjectMeta meta(IndexedRecord object) {
    return ResourceHandler.metadata(object);
  }
}
