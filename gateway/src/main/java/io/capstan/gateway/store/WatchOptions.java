package io.capstan.gateway.store;

import io.capstan.gateway.selection.FieldSelector;
import io.capstan.gateway.selection.LabelSelector;

/**
 * What a watch asks for.
 *
 * @param namespace         null for every namespace
 * @param resourceVersion   deliver changes after this version; null or "0" means "from now"
 *                          (with {@code sendInitialEvents}, the current objects first)
 * @param sendInitialEvents send every current object as ADDED, then a bookmark annotated
 *                          {@code k8s.io/initial-events-end}
 * @param bookmarks         the client accepts BOOKMARK events
 */
public record WatchOptions(String namespace, LabelSelector labels, FieldSelector fields, String resourceVersion,
    boolean sendInitialEvents, boolean bookmarks) {}
