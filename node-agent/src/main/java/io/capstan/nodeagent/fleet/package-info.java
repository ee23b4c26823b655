/**
 * Many hollow nodes in one JVM, as kubemark and kwok run them for load tests: each node has only
 * its Node reporter, pod sync loop and simulated runtime; the Kafka clients, pods reader, timers,
 * pod workers and log server are the fleet's, one of each for all its nodes.
 */
package io.capstan.nodeagent.fleet;
