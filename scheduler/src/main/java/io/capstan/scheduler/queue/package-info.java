/**
 * The scheduling queue, after kube-scheduler's PriorityQueue: activeQ (priority, then arrival),
 * backoffQ (1 s doubling to 10 s per attempt) and the unschedulable pods parked until a cluster
 * event one of their rejecting plugins cares about, or the 5-minute flush, moves them back.
 */
package io.capstan.scheduler.queue;
