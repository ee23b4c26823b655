/**
 * The scheduling framework, after kube-scheduler's: small plugin interfaces ({@link
 * io.capstan.scheduler.framework.FilterPlugin}, {@link io.capstan.scheduler.framework.ScorePlugin}, ...),
 * a per-cycle {@link io.capstan.scheduler.framework.CycleState}, the {@link
 * io.capstan.scheduler.framework.NodeInfo} snapshot plugins read, and the {@link
 * io.capstan.scheduler.framework.Status} whose reasons add up to "0/5 nodes are available: …".
 */
package io.capstan.scheduler.framework;
