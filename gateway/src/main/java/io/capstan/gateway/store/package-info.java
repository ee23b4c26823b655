/**
 * The seam between the REST layer and where objects live: {@link io.capstan.gateway.store.ResourceStore}.
 * The Kafka-backed implementation (command client for writes, watch cache over the state topics
 * for reads) plugs in here; tests use an in-memory double.
 */
package io.capstan.gateway.store;
