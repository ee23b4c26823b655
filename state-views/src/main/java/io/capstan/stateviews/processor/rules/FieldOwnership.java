package io.capstan.stateviews.processor.rules;

import static io.capstan.stateviews.processor.rules.ObjectFields.meta;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.api.ManagedFieldsEntry;
import io.capstan.api.ObjectMeta;
import io.capstan.log.Command;
import io.capstan.log.CommandOp;
import io.capstan.log.ErrorStatus;
import io.capstan.log.StatusCause;
import io.capstan.logschema.apply.ApplyConflictException;
import io.capstan.logschema.apply.FieldSet;
import io.capstan.logschema.apply.ManagedEntry;
import io.capstan.logschema.apply.ManagedFields;
import io.capstan.logschema.apply.RecordFieldSets;
import io.capstan.logschema.apply.ServerSideApply;
import io.capstan.logschema.apply.Shape;
import io.capstan.logschema.apply.Shapes;
import io.capstan.logschema.defaults.ObjectDefaults;
import io.capstan.logschema.json.ConversionException;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.validation.FieldError;
import io.capstan.stateviews.processor.authz.ComponentIdentity;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.apache.avro.generic.IndexedRecord;

/**
 * Field ownership ({@code metadata.managedFields}) kept by the single writer: a server-side
 * apply merged, conflict-checked and recorded against the stored object in the same step that
 * writes it (kube-apiserver re-reads and retries instead), and the Update entries of ordinary
 * writes, so ownership moves to whoever last changed a field.
 */
public final class FieldOwnership {
  /** The patch content type of a server-side apply. */
  public static final String APPLY_PATCH = "application/apply-patch+yaml";
  public static final String STATUS = "status";

  private FieldOwnership() {}

  /** Whether writes of this op record ownership (deletes and binds do not, as in kube-apiserver). */
  public static boolean records(CommandOp op) {
    return op == CommandOp.CREATE || op == CommandOp.UPDATE || op == CommandOp.UPDATE_STATUS;
  }

  /** Whether the command is a server-side apply. */
  public static boolean isApply(Command cmd) {
    return cmd.getPatch() != null && APPLY_PATCH.equals(cmd.getPatch().getContentType());
  }

  /** The outcome of an apply: the object to write (and the op that writes it), or why not. */
  public sealed interface Result permits Applied, Refused {}

  public record Applied(IndexedRecord object, CommandOp op, List<ManagedEntry> managed) implements Result {}

  public record Refused(ErrorStatus status) implements Result {}

  /** Applies the command's configuration to {@code stored} (null: create-on-apply). */
  public static Result apply(Kind kind, Command cmd, IndexedRecord stored, Instant now) {
    boolean status = cmd.getOp() == CommandOp.UPDATE_STATUS;
    String manager = cmd.getFieldManager();
    if (manager == null || manager.isEmpty()) {
      return new Refused(StatusErrors.badRequest("PATCH requests with apply patch type must have a fieldManager"));
    }
    if (stored == null && status) {
      return new Refused(StatusErrors.notFound(kind, cmd.getName()));
    }
    JsonNode config;
    try {
      config = KubeJson.parse(cmd.getPatch().getBody());
    } catch (RuntimeException e) {
      return new Refused(StatusErrors.badRequest("the apply configuration is not JSON: " + e.getMessage()));
    }
    if (!(config instanceof ObjectNode configObject)) {
      return new Refused(StatusErrors.badRequest("the apply configuration must be an object"));
    }
    Shape shape = Shapes.of(kind);
    ObjectNode live = stored == null ? null : KubeJson.toJson(stored);
    List<ManagedEntry> managed;
    try {
      managed = stored == null ? List.of() : ManagedFields.read(meta(stored));
    } catch (RuntimeException e) {
      managed = List.of(); // unreadable ownership is nobody's
    }
    ServerSideApply.Writer writer = writer(kind, manager, status ? STATUS : "", now);
    ServerSideApply.Applied applied;
    try {
      applied = ServerSideApply.apply(shape, live, configObject, managed, writer, cmd.getForce());
    } catch (ApplyConflictException e) {
      return new Refused(conflict(kind, cmd.getName(), e));
    }
    ObjectNode merged = applied.object();
    ObjectNode metadata = merged.with("metadata");
    metadata.put("name", cmd.getName());
    if (kind.namespaced()) {
      metadata.put("namespace", cmd.getNamespace());
    }
    metadata.remove("managedFields");
    merged.put("apiVersion", kind.apiVersion());
    merged.put("kind", kind.kind());
    if (kind.custom() && kind.openApiSchema() != null) {
      // As a custom resource's body is defaulted on decode (the gateway does it for other writes).
      io.capstan.logschema.crd.CustomObjects.applyDefaults(kind.openApiSchema(), merged);
    }
    IndexedRecord object;
    try {
      io.capstan.logschema.json.Converted<IndexedRecord> converted = KubeJson.fromJson(kind, merged);
      if (converted.hasUnknownFields()) {
        // An apply is typed as kube-apiserver types it: a field the schema does not declare is an error.
        return new Refused(StatusErrors.badRequest("failed to create typed patch object (" + (kind.namespaced()
            ? cmd.getNamespace() + "/" : "") + cmd.getName() + "; " + kind.apiVersion() + ", Kind=" + kind.kind()
            + "): " + String.join(", ", converted.unknownFields().stream()
                .map(f -> "." + f + ": field not declared in schema").toList())));
      }
      object = converted.object();
    } catch (ConversionException | IllegalArgumentException e) {
      return new Refused(StatusErrors.badRequest("the apply configuration does not fit " + kind.kind() + ": "
          + e.getMessage()));
    }
    if (stored == null) {
      ObjectDefaults.apply(object); // a create is defaulted by the gateway otherwise
    } else {
      meta(object).setResourceVersion(meta(stored).getResourceVersion());
    }
    ManagedFields.write(meta(object), applied.managed());
    return new Applied(object, stored == null ? CommandOp.CREATE : cmd.getOp(), applied.managed());
  }

  /**
   * The ownership after an ordinary write from {@code before} (null: created) to {@code after},
   * set on {@code after}'s metadata. Entries the client sent that differ from the stored ones are
   * taken as they are (a client may rewrite ownership, as kubectl's client-side to server-side
   * migration does); none sent, or an empty list, keeps the stored ones (so a client unaware of
   * them cannot drop them). A list of only empty entries ({@code [{}]}) clears them, as in
   * kube-apiserver: the write then records its own entry as on an object that had none. Writes
   * without a field manager (Capstan's components) leave ownership as it is.
   *
   * @param sent the entries the command's object carried
   * @return errors in the entries sent (422), or an empty list
   */
  public static List<FieldError> recordUpdate(Kind kind, Command cmd, IndexedRecord before, IndexedRecord after,
      List<ManagedFieldsEntry> sent, Instant now) {
    ObjectMeta meta = meta(after);
    List<ManagedFieldsEntry> stored = before == null ? null : meta(before).getManagedFields();
    boolean status = cmd.getOp() == CommandOp.UPDATE_STATUS;
    if (isReset(sent)) {
      // A subresource write does not rewrite ownership (kube-apiserver ignores what it sends there).
      stored = status ? stored : null;
    } else if (sent != null && !sent.isEmpty() && !sent.equals(stored)) {
      meta.setManagedFields(sent);
      return ManagedFields.check(meta);
    }
    meta.setManagedFields(stored);
    String manager = cmd.getFieldManager();
    if (manager == null || manager.isEmpty()) {
      // the gateway names a manager for every user's write; a component's own write records it as kube's do
      manager = ComponentIdentity.of(cmd.getActor()).map(ComponentIdentity::fieldManager).orElse(null);
      if (manager == null) {
        return List.of();
      }
    }
    Shape shape = Shapes.of(kind);
    ServerSideApply.Writer writer = writer(kind, manager, status ? STATUS : "", now);
    FieldSet changed;
    FieldSet removed;
    if (kind.custom()) {
      // Custom kinds keep open (preserved) fields as JSON text: their sets are read from the JSON, as an apply's.
      List<ManagedEntry> entries = entries(meta);
      List<ManagedEntry> updated = ServerSideApply.update(shape, before == null ? null : KubeJson.toJson(before),
          KubeJson.toJson(after), entries, writer);
      if (updated != entries) {
        ManagedFields.write(meta, updated);
      }
      return List.of();
    }
    // Built-in kinds: read from the records, equal subtrees skipped, and nothing more when nothing changed.
    if (before == null) {
      changed = RecordFieldSets.of(shape, after);
      removed = new FieldSet();
    } else {
      RecordFieldSets.Diff diff = RecordFieldSets.diff(shape, before, after);
      if (diff.isEmpty()) {
        return List.of();
      }
      changed = diff.changed();
      removed = diff.removed();
    }
    List<ManagedEntry> entries = entries(meta);
    List<ManagedEntry> updated = ServerSideApply.update(changed, removed, entries, writer);
    if (updated != entries) {
      ManagedFields.write(meta, updated);
    }
    return List.of();
  }

  /**
   * Whether the entries a write sent ask for ownership to be cleared: a list of nothing but empty
   * entries, as {@code metadata.managedFields: [{}]} (kube-apiserver's isResetManagedFields).
   */
  public static boolean isReset(List<ManagedFieldsEntry> sent) {
    return sent != null && !sent.isEmpty() && sent.stream().allMatch(EMPTY_ENTRY::equals);
  }

  private static final ManagedFieldsEntry EMPTY_ENTRY = ManagedFieldsEntry.newBuilder().build();

  /** The entries as stored; unreadable ones are nobody's (a later write replaces them). */
  private static List<ManagedEntry> entries(ObjectMeta meta) {
    try {
      return ManagedFields.read(meta);
    } catch (RuntimeException e) {
      return List.of();
    }
  }

  private static ServerSideApply.Writer writer(Kind kind, String manager, String subresource, Instant now) {
    return new ServerSideApply.Writer(manager, kind.apiVersion(), subresource, kind.hasStatus(),
        ManagedFields.time(now));
  }

  /** 409 as kube-apiserver's NewApplyConflict: one FieldManagerConflict cause per field. */
  static ErrorStatus conflict(Kind kind, String name, ApplyConflictException e) {
    List<StatusCause> causes = e.conflicts().stream()
        .map(c -> StatusCause.newBuilder().setReason("FieldManagerConflict")
            .setMessage("conflict with " + c.manager()).setField(c.path()).build())
        .toList();
    return ErrorStatus.newBuilder().setCode(409).setReason("Conflict").setMessage(e.getMessage())
        .setKind(kind.plural()).setName(Objects.requireNonNullElse(name, "")).setGroup(kind.group())
        .setCauses(causes).build();
  }
}
