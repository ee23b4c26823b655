package io.capstan.stateviews.informer;

/**
 * One change of one key, as a watch delivers it.
 *
 * @param type            added, modified or deleted
 * @param key             the object key ({@code Kind/namespace/name})
 * @param object          the object after the change; for DELETED its last known state
 * @param previous        the object before the change; null for ADDED (a watch cache needs it to
 *                        tell a filtered watcher that an object stopped matching)
 * @param resourceVersion the rv of the change (for DELETED, the rv of the delete)
 * @param partition       the partition the key lives on
 */
public record Change<T>(ChangeType type, String key, T object, T previous, long resourceVersion, int partition) {}
