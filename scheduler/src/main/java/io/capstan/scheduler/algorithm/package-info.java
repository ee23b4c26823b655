/**
 * One scheduling attempt (kube-scheduler's schedulePod): PreFilter, Filter over a rotating sample
 * of nodes sized by percentageOfNodesToScore, Score, and the host choice; failures become a
 * {@link io.capstan.scheduler.algorithm.FitError} with Kubernetes' message.
 */
package io.capstan.scheduler.algorithm;
