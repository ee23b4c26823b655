/**
 * The gateway's watch cache, after kube-apiserver's cacher: per kind, the current objects (fed by
 * the state topic's informer), the per-partition versions they reflect, and a bounded window of
 * recent changes from which lists are served at one exact resourceVersion, watches are resumed
 * from a resourceVersion (older ones get 410 Gone) and reads wait for this gateway's own writes.
 *
 * <h2>Versions across partitions</h2>
 * A resourceVersion is a hybrid-logical-clock value (microseconds) that each partition assigns in
 * its own log order; versions of different partitions are comparable but interleave. Each
 * partition is <em>closed</em> up to the rv of its last applied record or its last watermark ("no
 * later record here carries rv &lt;= W"), and the <em>consistent cut</em> is the lowest closed
 * partition: every change at or below it, on every partition, is in the cache.
 *
 * <h2>Watches in one order</h2>
 * A change is sent to watches only when the cut passes it; the changes the cut passed at once are
 * merged from the window's per-partition lanes in resourceVersion order. So a watch sees one
 * order across all partitions, and a client that resumes from any version it was sent (an event's
 * or a bookmark's) gets exactly the later changes: a replay from the window runs up to the same
 * cut the live stream continues from. A bookmark is always the cut, so it is never below an event
 * sent. The price is latency: a change waits until every other partition is closed at its
 * version; a busy partition closes with each record, a quiet one is asked for a watermark while
 * changes wait (one request at a time), which costs about one round trip through the command
 * processor. If the cut stays behind for a whole window of changes, the watches are ended with
 * 410 Gone (their clients relist) rather than sent changes out of order or with a gap.
 *
 * <h2>Consistent reads from the cache</h2>
 * A list or get without resourceVersion is "most recent", a quorum read in Kubernetes; as
 * kube-apiserver's consistent list from cache (1.31) it is served from the cache once the cache
 * is known to hold everything acknowledged before the request: the informer reads the state
 * topic's end offsets from the brokers (the high watermarks: the processor writes a command's
 * reply and its state record in one transaction, but commit markers reach partitions one by one)
 * and waits until its consumer has passed them. Concurrent requests share one lookup; a lookup
 * answers only requests made before it started. A list then waits for the cut to reach the newest
 * version applied, and is served at the cut. A cache that does not catch up within the read wait
 * answers 504 Timeout (kube-apiserver falls back to etcd; a gateway has no second copy to read,
 * and never answers stale). {@code resourceVersion=0} is served at once, N waits for N
 * (not older than), {@code resourceVersionMatch=Exact} and continue tokens at their version.
 */
package io.capstan.gateway.cache;
