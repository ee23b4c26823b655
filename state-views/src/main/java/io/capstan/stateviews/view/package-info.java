/**
 * Derived views: Kafka Streams topologies that re-key the state tables for a reader that needs
 * a slice of them, and the readers of those views. {@link io.capstan.stateviews.view.PodsByNodeView}
 * keeps {@code capstan.view.pods-by-node} (the pods bound to each node, partitioned by node
 * name); {@link io.capstan.stateviews.view.NodePodsReader} is how a node agent watches its own
 * pods without reading every pod of the cluster.
 */
package io.capstan.stateviews.view;
