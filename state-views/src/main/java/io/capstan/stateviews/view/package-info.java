/**
 * Derived views of the state tables for a reader that needs a slice of them, and the readers of
 * those views. The command processor writes {@code capstan.view.pods-by-node} ({@link
 * io.capstan.stateviews.view.PodsByNodeTopic}: the pods bound to each node, partitioned by node
 * name) in the same transaction as each pod's state record; {@link
 * io.capstan.stateviews.view.NodePodsReader} is how a node agent watches its own pods without
 * reading every pod of the cluster.
 */
package io.capstan.stateviews.view;
