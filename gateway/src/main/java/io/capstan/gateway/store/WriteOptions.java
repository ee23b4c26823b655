package io.capstan.gateway.store;

/**
 * How a write is made.
 *
 * @param actor        the authenticated user, recorded as the command's actor
 * @param dryRun       validate and answer as if stored, without storing ({@code dryRun=All})
 * @param fieldManager the client's fieldManager query parameter, or null
 */
public record WriteOptions(String actor, boolean dryRun, String fieldManager) {}
