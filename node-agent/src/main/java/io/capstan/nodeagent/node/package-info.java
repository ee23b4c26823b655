/**
 * The Node object of this agent: what the machine has (capacity, allocatable, addresses, node
 * info), its conditions, registration, status updates and the Lease heartbeat in {@code
 * kube-node-lease}, as kubelet's node status manager and node lease controller do.
 */
package io.capstan.nodeagent.node;
