/**
 * ResourceQuota admission in the write path, race-free across partitions. A namespace's objects
 * live on every partition, so no object's single writer can check a namespace-wide sum; the
 * quota's own single writer can. Each ResourceQuota's task keeps a ledger of the objects charged
 * against it (keyed by object, so charging or releasing twice changes nothing), and
 * {@code status.used} is the ledger's sum. A create in a namespace with quotas travels as a small
 * saga over {@code capstan.commands}, every hop in the processor's exactly-once transactions:
 * <pre>
 *   create pod ──▶ pod's partition: validate; quotas cover it? ──CHARGE──▶ quota q1's partition
 *                                                                            │ fits: ledger += pod
 *   pod stored ◀──CREATE_CHARGED── (… q2, in name order …) ◀──────────────────┘ exceeds: 403 to the client,
 *        │ refused after all (AlreadyExists, …): RELEASE to every charged quota       RELEASE the ones charged
 *   deleted / finished pod ──RELEASE / RECORD──▶ each quota of the namespace
 * </pre>
 * The pod's partition remembers the create's request as pending while its charge travels, and
 * applies a CREATE_CHARGED only for a pending request: a late one (a retried attempt whose
 * request was answered and forgotten meanwhile, possibly after the pod was deleted) is refused
 * and releases what it charged, so the uid it carries is never given a second life.
 * Kubernetes gets the same guarantee from compare-and-swap on the quota's status; here the quota
 * is simply the single writer of its own usage.
 */
package io.capstan.stateviews.processor.quota;
