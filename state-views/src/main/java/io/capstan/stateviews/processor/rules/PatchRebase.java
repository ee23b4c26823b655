package io.capstan.stateviews.processor.rules;

import static io.capstan.stateviews.processor.rules.ObjectFields.meta;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.log.CommandPatch;
import io.capstan.log.ErrorStatus;
import io.capstan.logschema.json.ConversionException;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.patch.PatchException;
import io.capstan.logschema.patch.PatchType;
import io.capstan.logschema.validation.FieldError;
import java.util.List;
import org.apache.avro.generic.IndexedRecord;

/**
 * A PATCH without a resourceVersion of its own, redone by the single writer. The gateway applies
 * the patch to the object it reads and sends the result as an update at that version; if another
 * write landed in between, kube-apiserver's storage would re-read and re-apply in a loop. Here the
 * processor, which holds the current object, re-applies the patch to it once and atomically: no
 * Conflict to retry, however busy the object is (a controller writing its status many times a
 * second cannot starve a user's {@code kubectl set env}).
 */
public final class PatchRebase {
  private PatchRebase() {}

  /** The outcome: the object to store instead of the sent one, or why the patch no longer applies. */
  public sealed interface Result permits Rebased, Refused {}

  public record Rebased(IndexedRecord object) implements Result {}

  public record Refused(ErrorStatus status) implements Result {}

  /** Whether the sent object is stale: it names a resourceVersion other than the stored one. */
  public static boolean needed(CommandPatch patch, IndexedRecord sent, IndexedRecord stored) {
    if (patch == null || sent == null || stored == null) {
      return false;
    }
    String at = meta(sent).getResourceVersion();
    return at != null && !at.isEmpty() && !at.equals(meta(stored).getResourceVersion());
  }

  /** Applies {@code patch} to the stored object; the result carries the stored resourceVersion. */
  public static Result onto(Kind kind, CommandPatch patch, IndexedRecord stored) {
    PatchType type = PatchType.byMediaType(patch.getContentType()).orElse(null);
    if (type == null) {
      return new Refused(StatusErrors.badRequest("the command's patch has an unsupported content type \""
          + patch.getContentType() + "\""));
    }
    try {
      JsonNode body = KubeJson.parse(patch.getBody());
      ObjectNode after = type.apply(kind.schema(), KubeJson.toJson(stored), body);
      IndexedRecord object = KubeJson.fromJson(kind, after).object();
      meta(object).setResourceVersion(meta(stored).getResourceVersion());
      return new Rebased(object);
    } catch (PatchException e) {
      return new Refused(e.malformed() ? StatusErrors.badRequest(e.getMessage())
          : StatusErrors.invalid(kind, meta(stored).getName(),
              List.of(new FieldError("patch", "FieldValueInvalid", e.getMessage()))));
    } catch (ConversionException | IllegalArgumentException e) {
      return new Refused(StatusErrors.badRequest("the patch no longer applies to the stored " + kind.kind() + ": "
          + e.getMessage()));
    }
  }
}
