/**
 * The pod sync loop (kubelet's pod workers, SyncPod and PLEG): for each pod bound to this node,
 * admission, volumes, init containers one at a time, app containers, restarts with
 * CrashLoopBackOff, graceful termination and the pod's status, sent back as updateStatus commands.
 */
package io.capstan.nodeagent.sync;
