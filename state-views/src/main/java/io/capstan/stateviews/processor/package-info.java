/**
 * The command processor: the Kafka Streams topology that is the single writer of every
 * object. It reads {@code capstan.commands}, decides each command against its state store and
 * writes the Event, the state-table record and the Reply in one exactly-once transaction.
 */
package io.capstan.stateviews.processor;
