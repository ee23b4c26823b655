/**
 * The command processor: the Kafka Streams topology that is the single writer of every
 * object. It reads {@code capstan.commands}, decides each command against its state store and
 * writes the Event, the state-table record and the Reply in one exactly-once transaction.
 *
 * <p>What a client can rely on (the rules themselves are in {@code processor.rules}):
 * <ul>
 *   <li>An accepted command yields exactly one Event, one record on {@code capstan.state.<kind>}
 *       (a tombstone when the object is removed) and one Reply; a rejected one yields one Reply
 *       with a Kubernetes Status. Two kinds of accepted command change nothing and therefore write
 *       only the Reply, carrying the stored object and its unchanged resourceVersion, as
 *       kube-apiserver answers them: an update (or status update) that leaves the object as it
 *       is, and a delete of an object whose deletion is already pending.
 *   <li>A command whose request id was seen on the same object key (the last
 *       {@code requestIdsPerKey}, kept {@code requestIdRetentionMs} after the key's last request)
 *       gets the original Reply again and nothing else. Rejections are remembered too: a retry
 *       is the same request, a new attempt needs a new request id. Dry runs are not remembered.
 *   <li>resourceVersions grow on every partition, across restarts, and exceed every watermark
 *       the partition has emitted. A dry run spends none: its reply has resourceVersion 0 and
 *       the object keeps the resourceVersion it has in the store.
 *   <li>Namespaced creates check their namespace in the task's own store when the Namespace
 *       lives on the same partition, else in a global copy of the namespace table that trails
 *       the namespace's partition by about one commit. A create sent the instant its namespace's
 *       create was answered may therefore still get 404 for the namespace; retry it (with a new
 *       request id).
 *   <li>Deleting a Namespace marks it Terminating; it is removed once an update (the namespace
 *       controller's, after emptying it) clears {@code spec.finalizers}, or by a delete after
 *       that. Objects held by metadata finalizers are removed by the update that clears the last
 *       one. A pod in its grace period waits for the node agent's delete with grace period 0.
 *   <li>A create in a namespace whose ResourceQuotas cover it is answered only after every such
 *       quota's own task has charged it ({@code processor.quota}): a create over a quota gets 403
 *       Forbidden worded as kube-apiserver's, and quotas never admit more than their hard limits,
 *       however many partitions the creates come from.
 * </ul>
 */
package io.capstan.stateviews.processor;
