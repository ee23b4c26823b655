/**
 * Taints and tolerations as Kubernetes' core/v1 helpers read them: the well-known node taint keys
 * and toleration matching, shared by the scheduler (TaintToleration) and the controllers
 * (taint-based eviction).
 */
package io.capstan.logschema.taints;
