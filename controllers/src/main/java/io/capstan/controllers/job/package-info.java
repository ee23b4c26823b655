/**
 * The Job controller: runs pods to {@code completions} with at most {@code parallelism} at once,
 * NonIndexed or Indexed ({@code batch.kubernetes.io/job-completion-index}), counts failures
 * against {@code backoffLimit} with a growing delay between retries, enforces
 * {@code activeDeadlineSeconds}, sets Complete / Failed and deletes finished Jobs after
 * {@code ttlSecondsAfterFinished}.
 */
package io.capstan.controllers.job;
