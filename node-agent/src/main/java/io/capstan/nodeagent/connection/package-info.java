/**
 * Whether the agent's writes reach the cluster's log now: an outage of Kafka is noticed from the
 * writes' outcomes, said once, counted, and ended by the first answer, so the agent keeps its pods
 * on its own meanwhile (edge autonomy) and publishes what it kept when the log is back.
 */
package io.capstan.nodeagent.connection;
