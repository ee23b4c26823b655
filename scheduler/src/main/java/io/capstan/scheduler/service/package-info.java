/**
 * The running scheduler: informers feed pending pods to the queue and placed pods and nodes to
 * the cache; one thread pops, schedules, assumes and sends the bind; failures are written back
 * as the PodScheduled condition and FailedScheduling events, as kube-scheduler does.
 */
package io.capstan.scheduler.service;
