/**
 * Service address allocation in the write path (kube-apiserver's service IP and node port
 * allocators), race-free across partitions. A Service's own single writer cannot know what
 * Services on other partitions hold, so every ClusterIP and NodePort is owned by one ledger, kept
 * by the single writer of the key {@code Service/default/kubernetes} (the ledger is its task's
 * store, not the object). A write that needs addresses travels there and back, every hop in the
 * processor's exactly-once transactions, as quota charges do ({@code processor.quota}):
 * <pre>
 *   create/update svc ──▶ svc's partition: validate, keep what it holds ──ALLOCATE──▶ ledger's partition
 *                                                                            │ free / requested and free:
 *   svc stored ◀──ALLOCATED── (the write again, now with its addresses) ◀────┘ reserved under the svc's uid
 *        │ refused after all: RELEASE                                        taken / full: 422 to the client
 *   deleted svc, dropped ports, type changes ──RELEASE──▶ ledger
 * </pre>
 * Dynamic picks start above a small static band at the bottom of each range, which requested
 * addresses should use, as Kubernetes' allocators do; the CIDR's first host address is the
 * {@code kubernetes} Service's and its tenth the DNS Service's, and dynamic picks never take them.
 */
package io.capstan.stateviews.processor.services;
