/** The scheduler benchmark, shaped as kube-scheduler's scheduler_perf SchedulingBasic, end to end through Kafka. */
package io.capstan.loadtests.scheduler;
