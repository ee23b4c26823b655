/**
 * Priority preemption (kube-scheduler's DefaultPreemption PostFilter): when a pod fits nowhere,
 * find the node where evicting the fewest, least important lower-priority pods makes it fit.
 */
package io.capstan.scheduler.preemption;
