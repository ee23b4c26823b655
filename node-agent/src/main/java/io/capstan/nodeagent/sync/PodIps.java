package io.capstan.nodeagent.sync;

/**
 * A pod's addresses, as the downward API gives them ({@code status.hostIP}, {@code status.podIP}).
 *
 * @param host the node's IP
 * @param pod  the pod's IP: on the pod network, or the node's for a host-network pod
 */
record PodIps(String host, String pod) {}
