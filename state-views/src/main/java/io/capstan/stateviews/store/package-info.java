/** How the Kafka Streams state stores of a process use memory: one bounded RocksDB budget for all of them. */
package io.capstan.stateviews.store;
