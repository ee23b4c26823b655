/** Kafka plumbing: the embedded single-node KRaft broker and idempotent topic creation. */
package io.capstan.stateviews.kafka;
