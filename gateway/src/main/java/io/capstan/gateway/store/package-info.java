/**
 * The seam between the REST layer and where objects live: {@link io.capstan.gateway.store.ResourceStore}.
 * {@link io.capstan.gateway.store.KafkaResourceStore} is the real one (commands through the command
 * client for writes, the gateway's watch cache over the state topics for reads, read-your-writes);
 * the gateway's own unit tests also use an in-memory double.
 */
package io.capstan.gateway.store;
