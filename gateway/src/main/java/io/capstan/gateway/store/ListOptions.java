package io.capstan.gateway.store;

import io.capstan.gateway.paging.ContinueToken;
import io.capstan.gateway.selection.FieldSelector;
import io.capstan.gateway.selection.LabelSelector;

/**
 * What a list asks for.
 *
 * @param namespace       the namespace, or null for every namespace (and for cluster-scoped kinds)
 * @param limit           at most this many items per chunk; 0 for no limit
 * @param continueFrom    where the previous chunk stopped, or null for the first chunk
 * @param resourceVersion the {@code resourceVersion} query parameter as sent, or null
 * @param resourceVersionMatch {@code Exact}, {@code NotOlderThan} or null
 */
public record ListOptions(String namespace, LabelSelector labels, FieldSelector fields, long limit,
    ContinueToken continueFrom, String resourceVersion, String resourceVersionMatch) {
  public static ListOptions all(String namespace) {
    return new ListOptions(namespace, LabelSelector.EVERYTHING, FieldSelector.EVERYTHING, 0, null, null, null);
  }
}
