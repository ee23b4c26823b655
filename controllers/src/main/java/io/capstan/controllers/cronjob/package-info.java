/**
 * The CronJob controller (kube-controller-manager's cronjob controller v2): creates a Job named
 * {@code <cronjob>-<scheduled time in minutes>} at each scheduled time, honours
 * {@code concurrencyPolicy}, {@code startingDeadlineSeconds}, {@code suspend} and the history
 * limits, keeps {@code status.active}, {@code lastScheduleTime} and {@code lastSuccessfulTime},
 * and wakes up at the next scheduled time rather than polling.
 */
package io.capstan.controllers.cronjob;
