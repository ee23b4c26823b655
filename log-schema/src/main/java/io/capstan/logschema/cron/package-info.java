/**
 * Cron schedules as a CronJob's {@code spec.schedule} is read: the five-field syntax and
 * descriptors Kubernetes accepts, and the next time a schedule fires in a time zone.
 */
package io.capstan.logschema.cron;
