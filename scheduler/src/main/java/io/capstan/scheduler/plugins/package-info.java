/**
 * The in-tree plugins, named and behaving as kube-scheduler's: filters that say whether a pod may
 * run on a node (with Kubernetes' reason phrases) and scores that rank the nodes that remain.
 */
package io.capstan.scheduler.plugins;
