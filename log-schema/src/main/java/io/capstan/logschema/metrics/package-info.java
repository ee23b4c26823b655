/**
 * Meters every module's Kafka clients share: the consumer lag of each Capstan consumer, under one
 * Prometheus name whatever built the consumer (a plain client or Kafka Streams).
 */
package io.capstan.logschema.metrics;
