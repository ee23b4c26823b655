/** Kafka plumbing: the embedded single-node KRaft broker, idempotent topic creation and one-pass log reads. */
package io.capstan.stateviews.kafka;
