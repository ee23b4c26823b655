/** Test fixtures: the gateway on the real backbone (embedded Kafka, command processor, Kafka-backed store). */
package io.capstan.gateway.testing;
