package io.capstan.gateway.store;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.logschema.patch.PatchType;

/**
 * How a write is made.
 *
 * @param actor        the authenticated user, recorded as the command's actor
 * @param dryRun       validate and answer as if stored, without storing ({@code dryRun=All})
 * @param fieldManager the client's fieldManager query parameter, or null
 * @param patch        for an update computed from a PATCH that names no resourceVersion: the patch,
 *                     which the store may re-apply to a newer stored object instead of failing
 *                     with a Conflict; null otherwise
 */
public record WriteOptions(String actor, boolean dryRun, String fieldManager, Patch patch) {

  public WriteOptions(String actor, boolean dryRun, String fieldManager) {
    this(actor, dryRun, fieldManager, null);
  }

  /** The same options for an update made by applying {@code body} of {@code type}. */
  public WriteOptions withPatch(PatchType type, JsonNode body) {
    return new WriteOptions(actor, dryRun, fieldManager, new Patch(type, body));
  }

  /** A patch document and its format. */
  public record Patch(PatchType type, JsonNode body) {}
}
